import { Gauge, type Registry } from 'prom-client';
import { createRecordMetrics, type RecordMetrics } from '../../observability/record-metrics';
import type { PartitionLag } from '../../sources/kafka';

/** The Kafka worker's metrics: the shared runtime metrics, and its consumer lag. */
export interface WorkerMetrics extends RecordMetrics {
  /** Where `cdc_cache_kafka_consumer_lag` is read from at each scrape: the running consumer. */
  watchLag(source: (() => Promise<readonly PartitionLag[]>) | undefined): void;
}

/**
 * Register the Kafka worker's metrics on `registry`: `cdc_cache_records_total{runtime="kafka-worker"}` and
 * the rest of the shared set, with `source` bounded by the keyspace's tables (`other` for any table when
 * none are given), and
 * `cdc_cache_kafka_consumer_lag{topic,partition}`, asked of the brokers at each scrape.
 *
 * @example
 * const metrics = createWorkerMetrics(new Registry(), { sources: keyspaceTables(keyspace) })
 */
export function createWorkerMetrics(
  registry: Registry,
  options: { readonly sources?: Iterable<string> } = {},
): WorkerMetrics {
  let lagSource: (() => Promise<readonly PartitionLag[]>) | undefined;
  new Gauge({
    name: 'cdc_cache_kafka_consumer_lag',
    help: 'Messages between the offset after the last one applied and the high watermark, by assigned topic and partition',
    labelNames: ['topic', 'partition'],
    registers: [registry],
    async collect() {
      this.reset();
      // A scrape never fails for a broker that does not answer: the gauge is empty until it does.
      const lags = (await lagSource?.().catch(() => undefined)) ?? [];
      for (const { topic, partition, lag } of lags) this.set({ topic, partition: String(partition) }, lag);
    },
  });
  return {
    ...createRecordMetrics(registry, { runtime: 'kafka-worker', sources: options.sources ?? [] }),
    watchLag(source) {
      lagSource = source;
    },
  };
}
