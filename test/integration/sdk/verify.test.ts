// The `verify` option against the shared Redis: a sampled hit is reloaded and compared with what was served.
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { createCache, defineKeyspace, registerCacheMetrics } from '../../../src';
import type { CacheEventMap } from '../../../src/sdk/cache-events';
import { pollUntil, SHARED_REDIS_URL, uniquePrefix } from './sdk-test-kit';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '10m', sources: [{ table: 'public.users' }] },
});
const redis = new Redis(SHARED_REDIS_URL);

afterAll(() => redis.disconnect());

/** A cache that verifies every hit 150 ms later, over a "database" the test edits. */
function verifyingCache() {
  const prefix = uniquePrefix('verify');
  const cache = createCache({ redis, keyspace, prefix, verify: { rate: 1, delay: 150 } });
  const registry = new Registry();
  registerCacheMetrics(cache, { registry });
  const database = new Map<number, { id: number; name: string }>([
    [1, { id: 1, name: 'Ann' }],
    [2, { id: 2, name: 'Bob' }],
  ]);
  const events: CacheEventMap['verify'][] = [];
  cache.events.on('verify', (event) => events.push(event));
  const read = (id: number) => cache.get('user', { id }, async () => database.get(id) ?? null);
  const counted = async (outcome: string) => {
    const metric = await registry.getSingleMetric('cdc_cache_sdk_verify_total')!.get();
    return metric.values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
  };
  return { cache, database, events, read, counted, prefix };
}

describe('createCache verify', () => {
  it('counts no mismatch while every change is invalidated in time', async () => {
    // Prepare
    const { cache, database, events, read, counted } = verifyingCache();
    await read(1);
    await read(2);
    // Act: hits, one change invalidated at once (as the worker does), more hits
    await read(1);
    await read(2);
    database.set(2, { id: 2, name: 'Bobby' });
    await cache.delete('user', { id: 2 });
    await read(2); // a miss: refilled
    await read(2);
    await pollUntil(() => events.length >= 3, { description: 'three verifications' });
    // Assess
    expect(events.map((event) => event.outcome).sort()).toEqual(['changed', 'match', 'match']);
    expect(await counted('mismatch')).toBe(0);
    await cache.close();
  });

  it('finds a planted stale value and counts it with its age', async () => {
    // Prepare: a cached user whose row then changes with no invalidation (a lost event)
    const { cache, database, events, read, counted, prefix } = verifyingCache();
    await read(1);
    database.set(1, { id: 1, name: 'Anna' });
    // Act
    expect(await read(1)).toEqual({ id: 1, name: 'Ann' });
    await pollUntil(() => events.length >= 1, { description: 'a verification' });
    // Assess
    expect(events).toEqual([
      { entity: 'user', key: `${prefix}user:1`, outcome: 'mismatch', ageMs: expect.any(Number) },
    ]);
    expect(events[0]!.ageMs).toBeGreaterThanOrEqual(300);
    expect(await counted('mismatch')).toBe(1);
    await cache.close();
  });
});
