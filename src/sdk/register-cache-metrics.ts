import { Counter, register as defaultRegistry, Gauge, Histogram, type Registry } from 'prom-client';
import type { CacheEvents } from './cache-events';

/** Options of {@link registerCacheMetrics}. */
export interface CacheMetricsOptions {
  /** Where to register. Default: prom-client's global registry. */
  registry?: Registry;
  /** Metric name prefix. Default `cdc_cache_sdk_`. */
  prefix?: string;
  /** Load latency histogram buckets, in seconds. */
  loadBuckets?: number[];
}

/** Default load latency buckets, in seconds. */
export const DEFAULT_LOAD_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Buckets of the age of a mismatched entry, in seconds. */
export const MISMATCH_AGE_BUCKETS = [1, 10, 30, 60, 300, 900, 3600, 21_600, 86_400];

const ratioCounts = new WeakMap<object, Map<string, { hits: number; misses: number }>>();

function reuse<T>(registry: Registry, name: string, create: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? create();
}

/**
 * Publish a cache's events as Prometheus metrics: requests by result, the hit ratio, load latency, lease
 * waits, errors and the breaker state. Several caches may share one registry. Returns `detach()`.
 *
 * @example
 * const metrics = registerCacheMetrics(cache, { registry })
 * // GET /metrics -> cdc_cache_sdk_hit_ratio{entity="user"} 0.97 ...
 */
export function registerCacheMetrics(
  cache: { readonly events: CacheEvents },
  options: CacheMetricsOptions = {},
): { detach(): void } {
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'cdc_cache_sdk_';
  const countOf = (entity: string) => {
    let count = counts.get(entity);
    if (!count) {
      count = { hits: 0, misses: 0 };
      counts.set(entity, count);
    }
    return count;
  };
  const requests = reuse(
    registry,
    `${prefix}requests_total`,
    () =>
      new Counter({
        name: `${prefix}requests_total`,
        help: 'Cache reads by result: hit, stale (served within grace), miss, bypass (Redis unavailable)',
        labelNames: ['entity', 'result'],
        registers: [registry],
      }),
  );
  const ratio = reuse(registry, `${prefix}hit_ratio`, () => {
    // Caches sharing a registry share the counts behind the ratio.
    const shared = new Map<string, { hits: number; misses: number }>();
    const gauge = new Gauge({
      name: `${prefix}hit_ratio`,
      help: 'Reads served from Redis (fresh or within grace) / all reads that reached Redis, since start',
      labelNames: ['entity'],
      registers: [registry],
      collect() {
        for (const [entity, { hits, misses }] of shared) {
          if (hits + misses > 0) this.set({ entity }, hits / (hits + misses));
        }
      },
    });
    ratioCounts.set(gauge, shared);
    return gauge;
  });
  const counts = ratioCounts.get(ratio) ?? new Map<string, { hits: number; misses: number }>();
  const loads = reuse(
    registry,
    `${prefix}load_duration_seconds`,
    () =>
      new Histogram({
        name: `${prefix}load_duration_seconds`,
        help: 'Loader latency; outcome cached, uncached (fill cancelled or Redis unavailable) or failed',
        labelNames: ['entity', 'outcome'],
        buckets: options.loadBuckets ?? DEFAULT_LOAD_BUCKETS,
        registers: [registry],
      }),
  );
  const leaseWaits = reuse(
    registry,
    `${prefix}lease_waits_total`,
    () =>
      new Counter({
        name: `${prefix}lease_waits_total`,
        help: "Waits for another reader's fill, by outcome: hit, lease (took it over), timeout (loaded uncached)",
        labelNames: ['entity', 'outcome'],
        registers: [registry],
      }),
  );
  const refusedFills = reuse(
    registry,
    `${prefix}fills_refused_total`,
    () =>
      new Counter({
        name: `${prefix}fills_refused_total`,
        help: "Loads served but not cached because they read a snapshot older than the key's last applied change, by reason: invisible (a PostgreSQL snapshot without the key's last transaction), behind (readPosition), replica-lag (maxReplicaLag)",
        labelNames: ['entity', 'reason'],
        registers: [registry],
      }),
  );
  const errors = reuse(
    registry,
    `${prefix}errors_total`,
    () =>
      new Counter({
        name: `${prefix}errors_total`,
        help: 'Errors the cache handled, by operation and code',
        labelNames: ['operation', 'code'],
        registers: [registry],
      }),
  );
  const breakerOpen = reuse(
    registry,
    `${prefix}breaker_open`,
    () =>
      new Gauge({
        name: `${prefix}breaker_open`,
        help: '1 while the Redis circuit breaker is open or half-open',
        registers: [registry],
      }),
  );
  const verifications = reuse(
    registry,
    `${prefix}verify_total`,
    () =>
      new Counter({
        name: `${prefix}verify_total`,
        help: 'Sampled hits verified against the loader (the verify option), by outcome: match, mismatch, changed, failed, dropped',
        labelNames: ['entity', 'outcome'],
        registers: [registry],
      }),
  );
  const mismatchAge = reuse(
    registry,
    `${prefix}verify_mismatch_age_seconds`,
    () =>
      new Histogram({
        name: `${prefix}verify_mismatch_age_seconds`,
        help: 'Age of each mismatched entry (time since it was written) when its mismatch was confirmed',
        labelNames: ['entity'],
        buckets: MISMATCH_AGE_BUCKETS,
        registers: [registry],
      }),
  );
  const nearRequests = reuse(
    registry,
    `${prefix}near_requests_total`,
    () =>
      new Counter({
        name: `${prefix}near_requests_total`,
        help: 'Reads of near-cached entities by result: hit (served from memory, no Redis call) or miss (went on to Redis)',
        labelNames: ['entity', 'result'],
        registers: [registry],
      }),
  );
  const nearEvictions = reuse(
    registry,
    `${prefix}near_evictions_total`,
    () =>
      new Counter({
        name: `${prefix}near_evictions_total`,
        help: 'Near cache entries dropped for room (capacity) or age (expired)',
        labelNames: ['reason'],
        registers: [registry],
      }),
  );
  const nearInvalidations = reuse(
    registry,
    `${prefix}near_invalidations_total`,
    () =>
      new Counter({
        name: `${prefix}near_invalidations_total`,
        help: 'Invalidation messages Redis sent the near cache (one may name several keys, or all: a FLUSH)',
        registers: [registry],
      }),
  );
  const nearClears = reuse(
    registry,
    `${prefix}near_clears_total`,
    () =>
      new Counter({
        name: `${prefix}near_clears_total`,
        help: 'Times the near cache was emptied because its invalidation stream may have had a gap, by reason (connection-closed, heartbeat, topology-changed)',
        labelNames: ['reason'],
        registers: [registry],
      }),
  );
  const { events } = cache;
  const unsubscribe = [
    events.on('hit', ({ entity }) => {
      countOf(entity).hits += 1;
      requests.inc({ entity, result: 'hit' });
    }),
    events.on('stale', ({ entity }) => {
      countOf(entity).hits += 1;
      requests.inc({ entity, result: 'stale' });
    }),
    events.on('miss', ({ entity }) => {
      countOf(entity).misses += 1;
      requests.inc({ entity, result: 'miss' });
    }),
    events.on('bypass', ({ entity }) => requests.inc({ entity, result: 'bypass' })),
    events.on('load', ({ entity, durationMs, cached, failed }) =>
      loads.observe(
        { entity, outcome: failed ? 'failed' : cached ? 'cached' : 'uncached' },
        durationMs / 1000,
      ),
    ),
    events.on('lease-wait', ({ entity, outcome }) => leaseWaits.inc({ entity, outcome })),
    events.on('fill-refused', ({ entity, reason }) => refusedFills.inc({ entity, reason })),
    events.on('error', ({ operation, error }) => errors.inc({ operation, code: error.code })),
    events.on('breaker', ({ state }) => breakerOpen.set(state === 'closed' ? 0 : 1)),
    events.on('near-hit', ({ entity }) => nearRequests.inc({ entity, result: 'hit' })),
    events.on('near-miss', ({ entity }) => nearRequests.inc({ entity, result: 'miss' })),
    events.on('near-eviction', ({ reason }) => nearEvictions.inc({ reason })),
    events.on('near-invalidation', () => nearInvalidations.inc()),
    events.on('near-clear', ({ reason }) => nearClears.inc({ reason })),
    events.on('verify', ({ entity, outcome, ageMs }) => {
      verifications.inc({ entity, outcome });
      if (ageMs !== undefined) mismatchAge.observe({ entity }, ageMs / 1000);
    }),
  ];
  return {
    detach() {
      for (const off of unsubscribe) off();
    },
  };
}
