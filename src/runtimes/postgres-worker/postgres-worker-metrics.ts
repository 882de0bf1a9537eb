import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The Prometheus metrics of `cdc-cache worker postgres`. */
export interface PostgresWorkerMetrics {
  readonly changes: Counter<'slot' | 'result'>;
  readonly batchSeconds: Histogram<'slot'>;
  readonly commitToAppliedSeconds: Histogram<'slot'>;
  readonly slotHeld: Gauge<'slot'>;
  readonly slotLagBytes: Gauge<'slot'>;
  readonly slotRetainedBytes: Gauge<'slot'>;
  readonly retries: Counter<'slot' | 'reason'>;
}

/**
 * Register the worker's metrics on a registry (served at /metrics by the health server).
 *
 * @example
 * const metrics = createPostgresWorkerMetrics(new Registry())
 */
export function createPostgresWorkerMetrics(registry: Registry): PostgresWorkerMetrics {
  const registers = [registry];
  const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  return {
    changes: new Counter({
      name: 'cdc_cache_postgres_changes_total',
      help: 'Row changes processed, by result (applied, skipped, dead_lettered)',
      labelNames: ['slot', 'result'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'cdc_cache_postgres_batch_seconds',
      help: 'Time to apply one batch of changes in Redis',
      labelNames: ['slot'],
      buckets: latencyBuckets,
      registers,
    }),
    commitToAppliedSeconds: new Histogram({
      name: 'cdc_cache_postgres_commit_to_applied_seconds',
      help: 'From the commit in PostgreSQL to Redis acknowledging the batch (last change of each batch)',
      labelNames: ['slot'],
      buckets: latencyBuckets,
      registers,
    }),
    slotHeld: new Gauge({
      name: 'cdc_cache_postgres_slot_held',
      help: '1 while this worker streams from the slot, 0 while it stands by',
      labelNames: ['slot'],
      registers,
    }),
    slotLagBytes: new Gauge({
      name: 'cdc_cache_postgres_slot_lag_bytes',
      help: 'WAL written since the slot acknowledged position (changes not yet applied)',
      labelNames: ['slot'],
      registers,
    }),
    slotRetainedBytes: new Gauge({
      name: 'cdc_cache_postgres_slot_retained_bytes',
      help: 'WAL the slot keeps from being recycled on the primary',
      labelNames: ['slot'],
      registers,
    }),
    retries: new Counter({
      name: 'cdc_cache_postgres_retries_total',
      help: 'Retries by reason (redis, postgres, slot_in_use)',
      labelNames: ['slot', 'reason'],
      registers,
    }),
  };
}
