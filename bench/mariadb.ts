// npm run bench:mariadb — the MySQL-family path end to end: MariaDB (row binlog) -> Kafka Connect (Debezium
// MariaDB connector) -> Kafka -> `cdc-cache worker kafka` -> Redis, on a table of its own.
// 1. Throughput: BENCH_MARIADB_CHANGES row updates committed in transactions of BENCH_MARIADB_TX_ROWS rows as
//    fast as MariaDB takes them; changes/s = changes / (first commit -> the last change invalidated).
// 2. Latency: BENCH_MARIADB_LATENCY_CHANGES single-row commits one after another; commit returned -> key gone
//    from Redis (polled every millisecond), p50/p99.
// The last line is JSON.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { percentile } from '../scripts/demo/percentiles';
import { connectMariaDb } from '../scripts/stack/database-clients';
import { registerDebeziumConnector } from '../scripts/stack/debezium-connectors';
import { stackEndpoints } from '../scripts/stack/stack-endpoints';
import { uniqueName } from '../scripts/stack/unique-name';
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

const CHANGES = Number(process.env['BENCH_MARIADB_CHANGES'] ?? 20_000);
const TX_ROWS = Number(process.env['BENCH_MARIADB_TX_ROWS'] ?? 100);
const LATENCY_CHANGES = Number(process.env['BENCH_MARIADB_LATENCY_CHANGES'] ?? 200);
const ROWS = Math.max(CHANGES, LATENCY_CHANGES) + 1;

const stack = stackEndpoints();
const table = uniqueName('bench_maria');
const prefix = `${uniqueName('bmaria')}:`;
const children = new BenchChildren();

async function main() {
  const machine = machineFacts();
  const maria = await connectMariaDb(stack);
  const redis = new Redis(stack.redis.url);
  const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-bench-maria-'));
  const keyspacePath = join(directory, 'keyspace.json');
  writeFileSync(
    keyspacePath,
    JSON.stringify({
      entities: {
        user: { key: 'user:{id}', ttl: '5m', sources: [{ table: `${stack.mariadb.database}.${table}` }] },
      },
    }),
  );
  await maria.query(
    `CREATE TABLE ${table} (id INT PRIMARY KEY, email VARCHAR(200) NOT NULL, name TEXT NOT NULL)`,
  );
  for (let first = 0; first <= ROWS; first += 5_000) {
    const ids = Array.from({ length: Math.min(5_000, ROWS + 1 - first) }, (_unused, at) => first + at);
    await maria.query(`INSERT INTO ${table} (id, email, name) VALUES ?`, [
      ids.map((id) => [id, `u${id}@example.com`, `User ${id}`]),
    ]);
  }
  const connector = await registerDebeziumConnector({
    source: 'mariadb',
    tables: [table],
    name: uniqueName('bench_maria_dbz'),
    timeoutMs: 120_000,
    endpoints: stack,
    config: CACHE_CONNECTOR_TUNING,
  });
  let recorder: StageRecorder | undefined;
  try {
    const worker = children.startWorker(['kafka'], {
      CDC_CACHE_KEYSPACE: keyspacePath,
      CDC_CACHE_REDIS_URL: stack.redis.url,
      CDC_CACHE_REDIS_WAIT_REPLICAS: 'off',
      CDC_CACHE_KEY_PREFIX: prefix,
      CDC_CACHE_KAFKA_BROKERS: stack.kafka.brokers.join(','),
      CDC_CACHE_KAFKA_TOPICS: connector.topicFor(table),
      CDC_CACHE_KAFKA_GROUP_ID: uniqueName('bench_maria_group'),
    });
    const gone = async (id: number) => (await redis.exists(`${prefix}user:${id}`)) === 0;
    const mark = (id: number) => redis.set(`${prefix}user:${id}`, 'x');
    // The path streams once a probe change reaches the worker.
    await waitUntilStreaming({
      mark,
      change: (n) => maria.query(`UPDATE ${table} SET name = ? WHERE id = ?`, [`probe ${n}`, 0]),
      gone: { debezium: gone },
    });

    const rtt = await redisRoundTrip(redis);
    // MariaDB's own round trip: an empty query, what every commit pays at least.
    const mariaP50 = await queryRoundTripMs(() => maria.query('SELECT 1'));

    // 1. Throughput on committed transactions; the worker's CPU time over it (Linux /proc).
    await mark(0);
    const cpuBefore = processCpuUs(worker.pid!);
    const started = performance.now();
    for (let first = 1; first <= CHANGES; first += TX_ROWS) {
      const last = Math.min(CHANGES, first + TX_ROWS - 1);
      await maria.query(`UPDATE ${table} SET name = CONCAT(name, '.') WHERE id BETWEEN ? AND ?`, [
        first,
        last,
      ]);
    }
    await maria.query(`UPDATE ${table} SET name = CONCAT(name, '.') WHERE id = 0`);
    const committedMs = performance.now() - started;
    const finished = await timeEachPath({ debezium: () => gone(0) }, started, {
      description: 'the MariaDB path applied every change',
      timeoutMs: 600_000,
    });
    const changes = CHANGES + 1;
    const cpuUs = cpuUsPerChange(worker.pid!, cpuBefore, changes, 2);

    // 2. Commit-to-invalidated latency, one change at a time.
    recorder = await recordDebeziumStages(connector.topicFor(table));
    const timings = await commitToGoneLatencies({
      changes: LATENCY_CHANGES,
      mark,
      commit: (id) => maria.query(`UPDATE ${table} SET email = CONCAT(email, '.') WHERE id = ?`, [id]),
      gone: { debezium: gone },
    });
    const latencies = latenciesMs(timings.debezium);
    const p50 = percentile(latencies, 50);
    const stages = await recorder.split(timings.debezium);
    const result = {
      bench: 'mariadb',
      // Machine-independent: commit -> key invalidated against what any path pays at least (one MariaDB and
      // one Redis round trip), and the worker's CPU per change.
      p50_vs_round_trips:
        mariaP50 === null || p50 === null ? null : round(p50 / (mariaP50 + rtt.rtt_p50_us / 1000), 1),
      cpu_us_per_change: cpuUs,
      mariadb_rtt_p50_ms: mariaP50 === null ? null : round(mariaP50, 2),
      redis_rtt_p50_us: rtt.rtt_p50_us,
      redis_rtt_p99_us: rtt.rtt_p99_us,
      changes,
      tx_rows: TX_ROWS,
      commit_ms: Math.round(committedMs),
      changes_per_s: Math.round((changes / finished.debezium) * 1000),
      p50_ms: percentileMs(latencies, 50),
      p99_ms: percentileMs(latencies, 99),
      // Split at the record's timestamp: the connector's part, then the rest (producer, broker, worker, Redis),
      // beside a bare consumer of the same records.
      connector_p50_ms: percentileMs(stages.connectorMs, 50),
      connector_p99_ms: percentileMs(stages.connectorMs, 99),
      worker_p50_ms: percentileMs(stages.workerMs, 50),
      worker_p99_ms: percentileMs(stages.workerMs, 99),
      consume_only_p50_ms: percentileMs(stages.consumeOnlyMs, 50),
      consume_only_p99_ms: percentileMs(stages.consumeOnlyMs, 99),
      connector_tuning: CACHE_CONNECTOR_TUNING,
      latency_changes: LATENCY_CHANGES,
      ...machine,
    };
    console.log(
      `mariadb path: ${result.changes_per_s} changes/s, p50 ${result.p50_ms} ms, p99 ${result.p99_ms} ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await recorder?.close();
    await children.stopAll();
    await connector.delete();
    await maria.query(`DROP TABLE IF EXISTS ${table}`);
    await deleteKeysWithPrefix(redis, prefix);
    await maria.end();
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
