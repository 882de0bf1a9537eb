import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { createCache, registerCacheMetrics } from '../../../src/index';
import { pollUntil, SHARED_REDIS_URL, testKeyspace, uniquePrefix, userRecord } from './sdk-test-kit';

const redis = new Redis(SHARED_REDIS_URL);
afterAll(() => redis.quit());

describe('registerCacheMetrics', () => {
  it('publishes requests by result, the hit ratio and load latency', async () => {
    // Prepare
    const registry = new Registry();
    const cache = createCache({ redis, keyspace: testKeyspace(), prefix: uniquePrefix('metrics') });
    const metrics = registerCacheMetrics(cache, { registry });
    // Act
    await cache.get('user', { id: 1 }, () => userRecord({ id: 1 }));
    for (let read = 0; read < 3; read++) await cache.get('user', { id: 1 }, () => userRecord({ id: 1 }));
    const text = await registry.metrics();
    metrics.detach();
    await cache.get('user', { id: 1 }, () => userRecord({ id: 1 }));
    // Assess
    expect(text).toContain('cdc_cache_sdk_requests_total{entity="user",result="hit"} 3');
    expect(text).toContain('cdc_cache_sdk_requests_total{entity="user",result="miss"} 1');
    expect(text).toContain('cdc_cache_sdk_hit_ratio{entity="user"} 0.75');
    expect(text).toContain('cdc_cache_sdk_load_duration_seconds_count{entity="user",outcome="cached"} 1');
    expect(await registry.metrics()).toContain('result="hit"} 3');
  });

  it('lets two caches share one registry, and counts both in the ratio', async () => {
    // Prepare
    const registry = new Registry();
    const first = createCache({ redis, keyspace: testKeyspace(), prefix: uniquePrefix('metrics-a') });
    const second = createCache({ redis, keyspace: testKeyspace(), prefix: uniquePrefix('metrics-b') });
    registerCacheMetrics(first, { registry });
    registerCacheMetrics(second, { registry });
    // Act
    await first.get('user', { id: 1 }, () => userRecord({ id: 1 }));
    await second.get('user', { id: 1 }, () => userRecord({ id: 1 }));
    await second.get('user', { id: 1 }, () => userRecord({ id: 1 }));
    await second.get('user', { id: 1 }, () => userRecord({ id: 1 }));
    // Assess
    expect(await registry.metrics()).toContain('cdc_cache_sdk_hit_ratio{entity="user"} 0.5');
  });

  it('publishes near cache hits, misses, evictions, invalidations and clears', async () => {
    // Prepare
    const registry = new Registry();
    const cache = createCache({
      redis,
      keyspace: testKeyspace(),
      prefix: uniquePrefix('metrics-near'),
      nearCache: { maxEntries: 1, heartbeat: '5s' },
    });
    registerCacheMetrics(cache, { registry });
    await pollUntil(() => cache.nearCache!.stats().up, { description: 'the near cache up' });
    const read = (id: number) => cache.get('user', { id }, () => userRecord({ id }));
    // Act
    await read(1); // near miss, Redis miss, fill
    await cache.nearCache!.sync();
    await read(1); // near miss, Redis hit: held
    await read(1); // near hit
    await cache.nearCache!.sync();
    await read(2);
    await cache.nearCache!.sync();
    await read(2); // held: evicts 1 (maxEntries 1)
    const [id] = await cache.nearCache!.clientIds();
    await redis.client('KILL', 'ID', String(id));
    await pollUntil(() => cache.nearCache!.stats().clears > 0, { description: 'the near cache cleared' });
    const text = await registry.metrics();
    await cache.close();
    // Assess
    expect(text).toContain('cdc_cache_sdk_near_requests_total{entity="user",result="hit"} 1');
    expect(text).toContain('cdc_cache_sdk_near_requests_total{entity="user",result="miss"} 4');
    expect(text).toContain('cdc_cache_sdk_near_evictions_total{reason="capacity"} 1');
    expect(text).toMatch(/cdc_cache_sdk_near_invalidations_total [1-9]/);
    expect(text).toContain('cdc_cache_sdk_near_clears_total{reason="connection-closed"} 1');
  });
});
