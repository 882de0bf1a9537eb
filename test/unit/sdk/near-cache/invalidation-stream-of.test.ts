import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { invalidationStreamOf } from '../../../../src/sdk/near-cache/invalidation-stream-of';

describe('invalidationStreamOf', () => {
  it('opens a stream for an ioredis or a node-redis client (neither connects until started)', () => {
    const ioredis = new Redis({ lazyConnect: true });
    const nodeRedis = createClient();

    expect(invalidationStreamOf(ioredis)).toEqual(expect.any(Function));
    expect(invalidationStreamOf(nodeRedis)).toEqual(expect.any(Function));
    ioredis.disconnect();
  });

  it.each([
    ['a RedisPort', { command: async () => null, pipeline: async () => [] }],
    ['an unknown object', {}],
  ])('refuses %s with CDC_INVALID_OPTION, naming nearCache', (_name, client) => {
    expect(() => invalidationStreamOf(client)).toThrow(
      expect.objectContaining({ code: 'CDC_INVALID_OPTION', message: expect.stringMatching(/^nearCache: /) }),
    );
  });
});
