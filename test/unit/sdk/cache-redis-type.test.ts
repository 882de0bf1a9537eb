// `cache.redis` is typed as the client that was passed in. These checks run in `npm run typecheck` (tsc reads
// the test folder): each @ts-expect-error must be an error. No client here ever connects.
import type { Cluster, Redis } from 'ioredis';
import { createClient } from 'redis';
import { type Cache, createCache, defineKeyspace, toRedisPort } from '../../../src';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
});

/** True only when A and B are the same type. */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

describe('cache.redis', () => {
  it('is the node-redis client that was passed in, typed as such', async () => {
    // Prepare: a node-redis client that is never connected
    const client = createClient({ url: 'redis://127.0.0.1:1' });

    // Act
    const cache = createCache({ redis: client, keyspace, breaker: false });

    // Assert
    const sameType: Same<typeof cache.redis, typeof client> = true;
    // @ts-expect-error: not an ioredis client, so no ioredis-only method
    const notIoredis = () => cache.redis.disconnect(false);
    expect(sameType).toBe(true);
    expect(notIoredis).toEqual(expect.any(Function));
    expect(cache.redis).toBe(client);
  });

  it('is the ioredis client the cache opened from options, and a port passed in', async () => {
    // Act: lazyConnect, so that no connection is ever opened
    const fromOptions = createCache({ redis: { lazyConnect: true }, keyspace, breaker: false });
    const port = toRedisPort(fromOptions.redis);
    const fromPort = createCache({ redis: port, keyspace, breaker: false });

    // Assert
    const ioredis: Same<typeof fromOptions.redis, Redis | Cluster> = true;
    const samePort: Same<typeof fromPort.redis, typeof port> = true;
    // A Cache without its client type argument is still the ioredis one (code written before it existed).
    const annotated: Cache<typeof keyspace.definitions> = fromOptions;
    expect([ioredis, samePort]).toEqual([true, true]);
    expect(fromPort.redis).toBe(port);
    fromOptions.redis.disconnect();
    expect(annotated).toBe(fromOptions);
  });
});
