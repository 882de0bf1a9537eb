/**
 * The metric names every runtime shares, in Prometheus (workers) and in CloudWatch EMF (Lambda handlers)
 * alike, with the same labels (dimensions). A runtime's own quantities keep their `cdc_cache_<runtime>_`
 * names (Kafka consumer lag, DynamoDB shards held, PostgreSQL slot lag); the engine's are
 * `cdc_cache_engine_*`. See docs/metrics.md.
 */
export const METRIC_NAMES = Object.freeze({
  /** Source records handled, by `runtime`, `source` (a keyspace table, or `other`) and `result`. */
  records: 'cdc_cache_records_total',
  /** Time from receiving a batch to Redis acknowledging it (decode, plan, apply, dead letters), by `runtime`. */
  batchDuration: 'cdc_cache_batch_duration_seconds',
  /** Waits before trying again, by `runtime` and `reason` (`redis`, `kafka`, `throttled`, ...). */
  retries: 'cdc_cache_retries_total',
  /** 1 while the runtime is paused because Redis refuses its batches, by `runtime`. */
  redisUnavailable: 'cdc_cache_redis_unavailable',
  /** Redis actions applied after coalescing, by `action` (the engine's). */
  actions: 'cdc_cache_engine_actions_total',
});

/** The `result` of a record in {@link METRIC_NAMES}`.records`. */
export const RECORD_RESULTS = ['applied', 'skipped', 'dead_lettered', 'failed'] as const;

/** One of {@link RECORD_RESULTS}. */
export type RecordResult = (typeof RECORD_RESULTS)[number];

/** The `source` label of a record whose table is not in the keyspace (or not known): keeps labels bounded. */
export const OTHER_SOURCE = 'other';
