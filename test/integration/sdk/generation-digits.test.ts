// A generation is a random number written into every entry by Lua scripts, which print numbers with
// `%.14g`: a 15-digit generation came out as `1.4076420592876e+14`, and no fill of that entity was cached.
import Redis from 'ioredis';
import { createCache, defineKeyspace } from '../../../src';
import { generationKey, newGeneration } from '../../../src/keyspace/internal-keys';
import { SHARED_REDIS_URL, uniquePrefix } from './sdk-test-kit';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
});

describe('entity generations', () => {
  const redis = new Redis(SHARED_REDIS_URL);
  afterAll(() => redis.quit());

  it('are drawn below 10^14, so a Lua script writes them back digit for digit', () => {
    for (let i = 0; i < 10_000; i++) expect(Number(newGeneration())).toBeLessThan(1e14);
  });

  it.each(['7', '99999999999999'])('caches a fill under generation %s', async (generation) => {
    // Prepare
    const prefix = uniquePrefix('generation');
    await redis.set(generationKey(prefix, 'user'), generation);
    const cache = createCache({ redis, keyspace, prefix });

    // Act
    await cache.get('user', { id: 1 }, () => ({ id: 1 }));

    // Assess
    expect(await cache.peek('user', { id: 1 })).toEqual({ id: 1 });
    await redis.unlink(cache.keyOf('user', { id: 1 }), generationKey(prefix, 'user'));
  });
});
