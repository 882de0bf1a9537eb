import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The Kafka worker's Prometheus metrics. */
export interface WorkerMetrics {
  readonly consumed: Counter<'topic'>;
  readonly applied: Counter<'table'>;
  readonly skipped: Counter<'table'>;
  readonly deadLettered: Counter<'topic' | 'code'>;
  readonly batchDuration: Histogram<never>;
  readonly changeAge: Histogram<never>;
  readonly lag: Gauge<'topic' | 'partition'>;
  readonly redisUnavailable: Gauge<never>;
  readonly redisOutages: Counter<never>;
}

/**
 * Register the Kafka worker's metrics on `registry`.
 *
 * @example
 * const metrics = createWorkerMetrics(new Registry())
 * metrics.consumed.inc({ topic: 'dbserver1.public.users' }, 500)
 */
export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const registers = [registry];
  return {
    consumed: new Counter({
      name: 'cdc_cache_kafka_messages_consumed_total',
      help: 'Kafka messages handed to the worker, by topic',
      labelNames: ['topic'],
      registers,
    }),
    applied: new Counter({
      name: 'cdc_cache_events_applied_total',
      help: 'Change events whose Redis actions were acknowledged, by table',
      labelNames: ['table'],
      registers,
    }),
    skipped: new Counter({
      name: 'cdc_cache_events_skipped_total',
      help: 'Change events with nothing to do (table outside the keyspace, no key values), by table',
      labelNames: ['table'],
      registers,
    }),
    deadLettered: new Counter({
      name: 'cdc_cache_dead_lettered_total',
      help: 'Messages sent to the dead-letter topic, by source topic and error code',
      labelNames: ['topic', 'code'],
      registers,
    }),
    batchDuration: new Histogram({
      name: 'cdc_cache_kafka_batch_duration_seconds',
      help: 'Time from receiving a chunk of a batch to Redis acknowledging it (decode, plan, apply, dead letters)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    changeAge: new Histogram({
      name: 'cdc_cache_change_age_seconds',
      help: 'Time from the source commit to Redis acknowledging the invalidation (end-to-end staleness window)',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    lag: new Gauge({
      name: 'cdc_cache_kafka_consumer_lag',
      help: 'Messages between the last resolved offset and the high watermark, by topic and partition',
      labelNames: ['topic', 'partition'],
      registers,
    }),
    redisUnavailable: new Gauge({
      name: 'cdc_cache_redis_unavailable',
      help: '1 while consumption is paused because Redis cannot be reached',
      registers,
    }),
    redisOutages: new Counter({
      name: 'cdc_cache_redis_unavailable_total',
      help: 'Batches that paused their partition because Redis could not be reached',
      registers,
    }),
  };
}
