import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The Prometheus metrics of `cdc-cache worker dynamodb`. */
export interface DynamoDbWorkerMetrics {
  readonly records: Counter<'table' | 'result'>;
  readonly batchSeconds: Histogram<'table'>;
  readonly shardsHeld: Gauge<'table'>;
  readonly recordAgeSeconds: Gauge<'table'>;
  readonly gaps: Counter<'table'>;
  readonly retries: Counter<'table' | 'reason'>;
  readonly ttlDeletes: Counter<'table'>;
}

/**
 * Register the worker's metrics on a registry (served at /metrics by the health server).
 *
 * @example
 * const metrics = createDynamoDbWorkerMetrics(new Registry())
 */
export function createDynamoDbWorkerMetrics(registry: Registry): DynamoDbWorkerMetrics {
  const registers = [registry];
  return {
    records: new Counter({
      name: 'cdc_cache_dynamodb_records_total',
      help: 'Stream records processed, by result (applied, skipped, dead_lettered)',
      labelNames: ['table', 'result'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: 'cdc_cache_dynamodb_batch_seconds',
      help: 'Time from a GetRecords page to its checkpoint',
      labelNames: ['table'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
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
    retries: new Counter({
      name: 'cdc_cache_dynamodb_retries_total',
      help: 'Retries by reason (redis, throttled, unavailable, expired_iterator)',
      labelNames: ['table', 'reason'],
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
