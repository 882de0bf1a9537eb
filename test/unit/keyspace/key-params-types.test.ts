import { defineKeyspace, type KeyParams, keyspaceFromData } from '../../../src/keyspace';
import { createCache } from '../../../src/sdk/create-cache';

// These checks run in `npm run typecheck` (tsc reads the test folder): each @ts-expect-error must be an error.
const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  order: { key: 'order:{tenant}/{id}', ttl: '5m', sources: [{ table: 'public.orders' }] },
});

type Definitions = typeof keyspace.definitions;

describe('KeyParams', () => {
  it('types the params of each entity from its key template', () => {
    // Prepare
    const order: KeyParams<Definitions['order']> = { tenant: 'acme', id: 7n };
    // @ts-expect-error: 'id' is missing
    const incomplete: KeyParams<Definitions['order']> = { tenant: 'acme' };
    // @ts-expect-error: an object is not a key value
    const wrongType: KeyParams<Definitions['user']> = { id: { nested: true } };
    // Assess
    expect([order, incomplete, wrongType]).toHaveLength(3);
  });

  it('types cache calls by entity name, and accepts any params for a keyspace loaded from data', () => {
    // Prepare: lazyConnect, so that no connection is ever opened
    const cache = createCache({ redis: { lazyConnect: true }, keyspace, breaker: false });
    const loaded = createCache({
      redis: cache.redis,
      keyspace: keyspaceFromData({
        entities: { user: { key: 'user:{id}', ttl: '1m', sources: [{ table: 'a.b' }] } },
      }),
    });
    // Act
    const key = cache.keyOf('order', { tenant: 'acme', id: 1 });
    // @ts-expect-error: unknown entity
    const unknownEntity = () => cache.keyOf('invoice', { id: 1 });
    const loadedKey = loaded.keyOf('user', { id: 1 });
    // Assess
    expect(key).toBe('order:acme/1');
    expect(unknownEntity).toThrow(/Unknown entity 'invoice'/);
    expect(loadedKey).toBe('user:1');
    cache.redis.disconnect();
  });
});
