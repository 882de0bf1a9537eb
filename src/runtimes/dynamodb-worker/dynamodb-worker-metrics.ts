import { Counter, Gauge, type Registry } from 'prom-client';
import { createRecordMetrics, type RecordMetrics } from '../../observability/record-metrics';

/** The Prometheus metrics of `cdc-cache worker dynamodb`: the shared runtime metrics, and its own. */
export interface DynamoDbWorkerMetrics extends RecordMetrics {
  readonly shardsHeld: Gauge<'table'>;
  readonly recordAgeSeconds: Gauge<'table'>;
  readonly gaps: Counter<'table'>;
  readonly ttlDeletes: Counter<'table'>;
}

/**
 * Register the worker's metrics on a registry (served at /metrics by the health server):
 * `cdc_cache_records_total{runtime="dynamodb-worker",source=<table>}` and the rest of the shared set, and
 * the poller's own `cdc_cache_dynamodb_*`.
 *
 * @example
 * const metrics = createDynamoDbWorkerMetrics(new Registry(), 'Products')
 */
export function createDynamoDbWorkerMetrics(registry: Registry, table: string): DynamoDbWorkerMetrics {
  const registers = [registry];
  return {
    ...createRecordMetrics(registry, { runtime: 'dynamodb-worker', sources: [table] }),
    shardsHeld: new Gauge({
      name: 'cdc_cache_dynamodb_shards_held',
      help: 'Shards this worker holds a lease on',
      labelNames: ['table'],
      registers,
    }),
    recordAgeSeconds: new Gauge({
      name: 'cdc_cache_dynamodb_record_age_seconds',
      help: 'Age of the last record applied (how far behind the stream the worker is)',
      labelNames: ['table'],
      registers,
    }),
    gaps: new Counter({
      name: 'cdc_cache_dynamodb_gaps_total',
      help: 'Times records were trimmed before being read; each invalidated every entity of the table',
      labelNames: ['table'],
      registers,
    }),
    ttlDeletes: new Counter({
      name: 'cdc_cache_dynamodb_ttl_deletes_total',
      help: 'Items deleted by DynamoDB TTL (handled as deletes)',
      labelNames: ['table'],
      registers,
    }),
  };
}
