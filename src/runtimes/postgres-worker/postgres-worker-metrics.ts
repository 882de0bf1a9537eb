import { Gauge, type Registry } from 'prom-client';
import { createRecordMetrics, type RecordMetrics } from '../../observability/record-metrics';

/** The Prometheus metrics of `cdc-cache worker postgres`: the shared runtime metrics, and its slot's. */
export interface PostgresWorkerMetrics extends RecordMetrics {
  readonly slotHeld: Gauge<'slot'>;
  readonly slotLagBytes: Gauge<'slot'>;
  readonly slotRetainedBytes: Gauge<'slot'>;
}

/**
 * Register the worker's metrics on a registry (served at /metrics by the health server):
 * `cdc_cache_records_total{runtime="postgres-worker",source=<table>}` and the rest of the shared set, with
 * `source` bounded by the tables it streams, and its slot's `cdc_cache_postgres_slot_*`.
 *
 * @example
 * const metrics = createPostgresWorkerMetrics(new Registry(), ['public.users'])
 */
export function createPostgresWorkerMetrics(
  registry: Registry,
  tables: Iterable<string>,
): PostgresWorkerMetrics {
  const registers = [registry];
  return {
    ...createRecordMetrics(registry, { runtime: 'postgres-worker', sources: tables }),
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
  };
}
