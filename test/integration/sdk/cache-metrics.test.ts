import Redis from 'ioredis';
import { Registry } from 'prom-client';
import { createCache, registerCacheMetrics } from '../../../src/index';
import { SHARED_REDIS_URL, testKeyspace, uniquePrefix, userRecord } from './sdk-test-kit';

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
});
