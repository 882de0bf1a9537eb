import { Registry } from 'prom-client';
import type { RecordOutcome } from '../../../src/core/apply-records';
import type { ChangeEvent } from '../../../src/core/change-event';
import { CdcCacheError } from '../../../src/errors';
import { createDynamoDbWorkerMetrics } from '../../../src/runtimes/dynamodb-worker/dynamodb-worker-metrics';
import { createWorkerMetrics } from '../../../src/runtimes/kafka-worker/worker-metrics';
import { createPostgresWorkerMetrics } from '../../../src/runtimes/postgres-worker/postgres-worker-metrics';

const applied = (table: string): RecordOutcome => ({
  status: 'applied',
  actions: 1,
  events: [{ event: { table } as ChangeEvent, outcome: { status: 'applied', actions: 1 } }],
});
const poison: RecordOutcome = {
  status: 'poison',
  error: new CdcCacheError('CDC_DECODE_FAILED', 'x'),
  events: [],
};

describe('the runtime metrics', () => {
  it('have the same names and labels in every worker runtime', async () => {
    // Prepare
    const registries = { kafka: new Registry(), dynamodb: new Registry(), postgres: new Registry() };
    const metrics = [
      createWorkerMetrics(registries.kafka, { sources: ['public.users'] }),
      createDynamoDbWorkerMetrics(registries.dynamodb, 'public.users'),
      createPostgresWorkerMetrics(registries.postgres, ['public.users']),
    ];
    // Act
    for (const one of metrics) {
      one.countOutcomes([applied('public.users'), poison]);
      one.observeBatch(0.01);
      one.retry('redis');
    }
    // Assess
    for (const [runtime, registry] of [
      ['kafka-worker', registries.kafka],
      ['dynamodb-worker', registries.dynamodb],
      ['postgres-worker', registries.postgres],
    ] as const) {
      const text = await registry.metrics();
      expect(text).toContain(
        `cdc_cache_records_total{runtime="${runtime}",source="public.users",result="applied"} 1`,
      );
      expect(text).toContain(
        `cdc_cache_records_total{runtime="${runtime}",source="other",result="dead_lettered"} 1`,
      );
      expect(text).toContain(`cdc_cache_batch_duration_seconds_count{runtime="${runtime}"} 1`);
      expect(text).toContain(`cdc_cache_retries_total{runtime="${runtime}",reason="redis"} 1`);
      expect(text).toContain(`cdc_cache_redis_unavailable{runtime="${runtime}"} 0`);
      // The engine reports the change age (cdc_cache_engine_lag_seconds); no runtime names it again.
      expect(text).not.toMatch(/change_age|commit_to_applied/);
    }
  });

  it('bound the source label by the keyspace: any other table is `other`', async () => {
    // Prepare: a topic pattern can bring tables the keyspace does not read, one per topic
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry, { sources: ['public.users'] });
    // Act
    metrics.countOutcomes(Array.from({ length: 50 }, (_, index) => applied(`public.t${index}`)));
    // Assess
    const text = await registry.metrics();
    expect(text).toContain(
      'cdc_cache_records_total{runtime="kafka-worker",source="other",result="applied"} 50',
    );
    expect(text).not.toContain('public.t1');
  });

  it('count runs and interleavings of tables and results alike', async () => {
    // Prepare: runs of one table, then tables and results alternating record by record
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry, { sources: ['public.users', 'public.orders'] });
    const outcomes = [
      ...Array.from({ length: 3 }, () => applied('public.users')),
      ...Array.from({ length: 4 }, (_, index) => applied(index % 2 ? 'public.orders' : 'public.users')),
      poison,
      applied('public.users'),
      poison,
    ];
    // Act
    metrics.countOutcomes(outcomes);
    // Assess
    const text = await registry.metrics();
    expect(text).toContain(
      'cdc_cache_records_total{runtime="kafka-worker",source="public.users",result="applied"} 6',
    );
    expect(text).toContain(
      'cdc_cache_records_total{runtime="kafka-worker",source="public.orders",result="applied"} 2',
    );
    expect(text).toContain(
      'cdc_cache_records_total{runtime="kafka-worker",source="other",result="dead_lettered"} 2',
    );
  });

  it("reports the Kafka consumer's lag per partition, asked at each scrape", async () => {
    // Prepare
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry);
    // Act
    metrics.watchLag(async () => [
      { topic: 'dbserver1.public.users', partition: 0, lag: 120 },
      { topic: 'dbserver1.public.users', partition: 1, lag: 0 },
    ]);
    const text = await registry.metrics();
    metrics.watchLag(undefined);
    // Assess
    expect(text).toContain('cdc_cache_kafka_consumer_lag{topic="dbserver1.public.users",partition="0"} 120');
    expect(text).toContain('cdc_cache_kafka_consumer_lag{topic="dbserver1.public.users",partition="1"} 0');
    expect(await registry.metrics()).not.toContain('cdc_cache_kafka_consumer_lag{');
  });
});
