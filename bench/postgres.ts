// npm run bench:postgres — `cdc-cache worker postgres` (logical replication straight to Redis) against the
// Debezium path (Kafka Connect + Kafka + `cdc-cache worker kafka`) on the same rows in the same run: both
// consume the same committed transactions at the same time, each into its own key prefix.
// 1. Throughput: BENCH_PG_CHANGES row updates committed in transactions of BENCH_PG_TX_ROWS rows as fast as
//    PostgreSQL takes them; changes/s = changes / (first commit -> the path invalidated the last change).
// 2. Latency: BENCH_PG_LATENCY_CHANGES single-row commits one after another; commit returned -> key gone
//    from Redis (polled every millisecond), p50/p99 per path.
// The last line is JSON.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { percentile } from '../scripts/demo/percentiles';
import { connectPostgres } from '../scripts/stack/database-clients';
import { registerDebeziumConnector } from '../scripts/stack/debezium-connectors';
import { stackEndpoints } from '../scripts/stack/stack-endpoints';
import { uniqueName } from '../scripts/stack/unique-name';
import { waitFor } from '../scripts/stack/wait-for';
import { BenchChildren } from './support/bench-children';
import { CACHE_CONNECTOR_TUNING, recordDebeziumStages, type StageRecorder } from './support/debezium-stages';
import { deleteKeysWithPrefix, machineFacts, processCpuUs, redisRoundTrip, round } from './support/limits';
import {
  commitToGoneLatencies,
  cpuUsPerChange,
  latenciesMs,
  percentileMs,
  queryRoundTripMs,
  timeEachPath,
  waitUntilStreaming,
} from './support/paths';

const CHANGES = Number(process.env['BENCH_PG_CHANGES'] ?? 20_000);
const TX_ROWS = Number(process.env['BENCH_PG_TX_ROWS'] ?? 100);
const LATENCY_CHANGES = Number(process.env['BENCH_PG_LATENCY_CHANGES'] ?? 200);
const ROWS = Math.max(CHANGES, LATENCY_CHANGES) + 1;
// The connector as docs/kafka-worker.md recommends for a cache (Debezium's own default waits up to 500 ms for
// changes before it hands a batch to Kafka); BENCH_PG_DEBEZIUM_DEFAULTS=1 measures Debezium's defaults instead.
const DEBEZIUM_DEFAULTS = process.env['BENCH_PG_DEBEZIUM_DEFAULTS'] === '1';
const CONNECTOR_TUNING = DEBEZIUM_DEFAULTS ? {} : CACHE_CONNECTOR_TUNING;

const stack = stackEndpoints();
const table = uniqueName('bench_pg');
const slot = uniqueName('bench_pg_slot');
const pgPrefix = `${uniqueName('bpg')}:`;
const dbzPrefix = `${uniqueName('bdbz')}:`;
const children = new BenchChildren();

async function main() {
  const machine = machineFacts();
  const { host, port, user, database } = stack.postgres;
  const pg = await connectPostgres(stack);
  const redis = new Redis(stack.redis.url);
  const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-bench-pg-'));
  const keyspacePath = join(directory, 'keyspace.json');
  writeFileSync(
    keyspacePath,
    JSON.stringify({
      entities: { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: `public.${table}` }] } },
    }),
  );
  await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL, name text NOT NULL)`);
  await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  await pg.query(
    `INSERT INTO ${table} SELECT i, 'u' || i || '@example.com', 'User ' || i FROM generate_series(0, ${ROWS}) i`,
  );
  const connector = await registerDebeziumConnector({
    source: 'postgres',
    tables: [table],
    name: uniqueName('bench_dbz'),
    timeoutMs: 120_000,
    endpoints: stack,
    config: CONNECTOR_TUNING,
  });
  let recorder: StageRecorder | undefined;
  try {
    const common = {
      CDC_CACHE_KEYSPACE: keyspacePath,
      CDC_CACHE_REDIS_URL: stack.redis.url,
      CDC_CACHE_REDIS_WAIT_REPLICAS: 'off',
    };
    const pgWorker = children.startWorker(['postgres'], {
      ...common,
      CDC_CACHE_KEY_PREFIX: pgPrefix,
      CDC_CACHE_POSTGRES_URL: `postgres://${user}@${host}:${port}/${database}`,
      CDC_CACHE_POSTGRES_SLOT: slot,
      CDC_CACHE_POSTGRES_PUBLICATION: slot,
    });
    const kafkaWorker = children.startWorker(['kafka'], {
      ...common,
      CDC_CACHE_KEY_PREFIX: dbzPrefix,
      CDC_CACHE_KAFKA_BROKERS: stack.kafka.brokers.join(','),
      CDC_CACHE_KAFKA_TOPICS: connector.topicFor(table),
      CDC_CACHE_KAFKA_GROUP_ID: uniqueName('bench_pg_group'),
    });
    const gone = async (prefix: string, id: number) => (await redis.exists(`${prefix}user:${id}`)) === 0;
    const mark = (id: number) => redis.mset(`${pgPrefix}user:${id}`, 'x', `${dbzPrefix}user:${id}`, 'x');
    // Both paths stream once a probe change reaches them.
    await waitUntilStreaming({
      mark,
      change: (n) => pg.query(`UPDATE ${table} SET name = $2 WHERE id = $1`, [0, `probe ${n}`]),
      gone: { postgres: (id) => gone(pgPrefix, id), debezium: (id) => gone(dbzPrefix, id) },
    });

    const rtt = await redisRoundTrip(redis);
    // PostgreSQL's own round trip: an empty query, what every commit pays at least.
    const pgP50 = await queryRoundTripMs(() => pg.query('SELECT 1'));

    // 1. Throughput on the same committed transactions; each worker's CPU time over it (Linux /proc).
    await mark(0);
    const cpuBefore = { postgres: processCpuUs(pgWorker.pid!), debezium: processCpuUs(kafkaWorker.pid!) };
    const started = performance.now();
    for (let first = 1; first <= CHANGES; first += TX_ROWS) {
      const last = Math.min(CHANGES, first + TX_ROWS - 1);
      await pg.query(`UPDATE ${table} SET name = name || '.' WHERE id BETWEEN $1 AND $2`, [first, last]);
    }
    await pg.query(`UPDATE ${table} SET name = name || '.' WHERE id = 0`);
    const committedMs = performance.now() - started;
    const finished = await timeEachPath(
      { postgres: () => gone(pgPrefix, 0), debezium: () => gone(dbzPrefix, 0) },
      started,
      { description: 'both paths applied every change', timeoutMs: 600_000 },
    );
    const changes = CHANGES + 1;
    const cpuUs = {
      postgres: cpuUsPerChange(pgWorker.pid!, cpuBefore.postgres, changes, 2),
      debezium: cpuUsPerChange(kafkaWorker.pid!, cpuBefore.debezium, changes, 2),
    };

    // 2. Commit-to-invalidated latency, one change at a time.
    recorder = await recordDebeziumStages(connector.topicFor(table));
    const timings = await commitToGoneLatencies({
      changes: LATENCY_CHANGES,
      mark,
      commit: (id) => pg.query(`UPDATE ${table} SET email = email || '.' WHERE id = $1`, [id]),
      gone: { postgres: (id) => gone(pgPrefix, id), debezium: (id) => gone(dbzPrefix, id) },
    });
    const latencies = { postgres: latenciesMs(timings.postgres), debezium: latenciesMs(timings.debezium) };
    const stages = await recorder.split(timings.debezium);
    const result = {
      bench: 'postgres',
      // Machine-independent: commit -> key invalidated against what any path pays at least (one PostgreSQL
      // and one Redis round trip), and each worker's CPU per change.
      p50_vs_round_trips:
        pgP50 === null
          ? null
          : round(percentile(latencies.postgres, 50)! / (pgP50 + rtt.rtt_p50_us / 1000), 1),
      cpu_us_per_change: cpuUs.postgres,
      debezium_cpu_us_per_change: cpuUs.debezium,
      pg_rtt_p50_ms: pgP50 === null ? null : round(pgP50, 2),
      redis_rtt_p50_us: rtt.rtt_p50_us,
      redis_rtt_p99_us: rtt.rtt_p99_us,
      changes,
      tx_rows: TX_ROWS,
      commit_ms: Math.round(committedMs),
      changes_per_s: Math.round((changes / finished.postgres) * 1000),
      p50_ms: percentileMs(latencies.postgres, 50),
      p99_ms: percentileMs(latencies.postgres, 99),
      debezium_changes_per_s: Math.round((changes / finished.debezium) * 1000),
      debezium_p50_ms: percentileMs(latencies.debezium, 50),
      debezium_p99_ms: percentileMs(latencies.debezium, 99),
      // The Debezium path split at the record's timestamp: the connector's part, then the rest (and Kafka alone).
      debezium_connector_p50_ms: percentileMs(stages.connectorMs, 50),
      debezium_connector_p99_ms: percentileMs(stages.connectorMs, 99),
      debezium_worker_p50_ms: percentileMs(stages.workerMs, 50),
      debezium_worker_p99_ms: percentileMs(stages.workerMs, 99),
      debezium_consume_only_p50_ms: percentileMs(stages.consumeOnlyMs, 50),
      debezium_consume_only_p99_ms: percentileMs(stages.consumeOnlyMs, 99),
      debezium_connector_tuning: DEBEZIUM_DEFAULTS ? 'Debezium defaults' : CONNECTOR_TUNING,
      ratio_vs_debezium: Math.round((finished.debezium / finished.postgres) * 100) / 100,
      latency_changes: LATENCY_CHANGES,
      ...machine,
    };
    console.log(
      `postgres worker: ${result.changes_per_s} changes/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms`,
    );
    console.log(
      `debezium path:   ${result.debezium_changes_per_s} changes/s, p50 ${result.debezium_p50_ms} ms, p99 ${result.debezium_p99_ms} ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await recorder?.close();
    await children.stopAll();
    await connector.delete();
    await waitFor(
      async () =>
        (await pg.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1 AND active', [slot])).rows
          .length === 0,
      { description: 'bench slot released', timeoutMs: 30_000 },
    ).catch(() => undefined);
    await pg.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    await pg.query(`DROP PUBLICATION IF EXISTS ${slot}`);
    await pg.query(`DROP TABLE IF EXISTS ${table}`);
    for (const prefix of [pgPrefix, dbzPrefix]) await deleteKeysWithPrefix(redis, prefix);
    await pg.end();
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
