/**
 * `npm run demo`: the whole product on the local stack in a few minutes.
 *
 * Brings up what is missing, creates a demo table in PostgreSQL (captured by Debezium) and one in
 * DynamoDB Local (streamed), starts both workers and a tiny read service that uses the SDK, runs a
 * scripted workload of reads and writes with live figures, then checks every cached entry against the
 * databases and tears down what it started. `--json` prints a summary as the last line.
 */
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { type Cache, createCache, loadKeyspace } from '../../src/index';
import { type DebeziumConnector, registerDebeziumConnector } from '../stack/debezium-connectors';
import { freePort } from '../stack/free-port';
import { createTopics } from '../stack/kafka-topics';
import { stackEndpoints } from '../stack/stack-endpoints';
import { type AuditFigures, auditFigures } from './audit-figures';
import { type DemoProcess, startProcess } from './child-process';
import { DEMO_USAGE, parseDemoArgs } from './demo-args';
import {
  createProductsTable,
  createUsersTable,
  deleteProductsTable,
  dropUsersTable,
  PRODUCTS_TABLE,
  USERS_TABLE,
} from './demo-data';
import { percentile } from './percentiles';
import { scrapeCounter } from './scrape-counter';
import { findStaleEntries } from './stale-check';
import { runWorkload, type WorkloadStats } from './workload';

const USERS = 200;
const PRODUCTS = 50;
const KEYSPACE_FILE = join(__dirname, 'keyspace.yaml');
// Short delays so a short demo measures them; production keeps the defaults (1s, 10s, 60s).
const AUDIT_DELAYS = ['1s', '5s'];
const VERIFY_DELAY_MS = 1_000;

const say = (message: string) => console.log(`[demo] ${message}`);

/** Whether something accepts TCP connections on the port (Kafka speaks no HTTP, so connect, don't fetch). */
function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, timeout: 1_000 });
    const done = (listening: boolean) => {
      socket.destroy();
      resolve(listening);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.once('timeout', () => done(false));
  });
}

async function waitReady(name: string, url: string, child: DemoProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.child.exitCode !== null)
      throw new Error(`${name} exited before it was ready; see ${child.logFile}`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${name} not ready after ${timeoutMs} ms; see ${child.logFile}`);
}

async function main(): Promise<number> {
  const args = parseDemoArgs(process.argv.slice(2));
  if (args === 'help') {
    console.log(DEMO_USAGE);
    return 0;
  }
  const endpoints = stackEndpoints();
  const runId = Date.now().toString(36);
  const prefix = `demo-${runId}:`;
  const processes: DemoProcess[] = [];
  const cleanups: Array<[string, () => Promise<unknown>]> = [];
  const interrupted = new AbortController();
  const stopWorkload = new AbortController();
  process.once('SIGINT', () => {
    say('interrupted: stopping the workload and tearing down');
    interrupted.abort();
    stopWorkload.abort();
    process.once('SIGINT', () => process.exit(130));
  });

  const stackWasUp = (await Promise.all([9092, 8083, 8000].map(isListening))).every(Boolean);
  say(
    stackWasUp
      ? 'local stack is up; checking its health'
      : 'bringing up the local stack (Kafka, Connect, DynamoDB Local)',
  );
  const up = spawnSync('bash', ['test/stack/up.sh'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (up.status !== 0) throw new Error('npm run stack:up failed; see the messages above and .stack/logs/');
  if (!stackWasUp && !args.keepStack) {
    cleanups.push(['stack', async () => spawnSync('bash', ['test/stack/down.sh'], { stdio: 'inherit' })]);
  }

  const pg = new Client({ ...endpoints.postgres });
  const dynamodb = new DynamoDBClient({
    endpoint: endpoints.dynamodb.endpoint,
    region: endpoints.dynamodb.region,
    credentials: endpoints.dynamodb.credentials,
  });
  const redis = new Redis(endpoints.redis.url);
  const keyspace = await loadKeyspace(KEYSPACE_FILE);
  const cache: Cache = createCache({ redis, keyspace, prefix });
  let connector: DebeziumConnector | undefined;
  const stats: WorkloadStats = {
    reads: 0,
    readErrors: 0,
    writes: 0,
    latenciesMs: [],
    missedInvalidations: 0,
    emails: new Set(Array.from({ length: USERS }, (_, index) => `user${index + 1}@example.com`)),
  };
  let readStats = { hits: 0, misses: 0, verify: { verified: 0, mismatches: 0, changed: 0, failed: 0 } };
  let audit: AuditFigures | undefined;
  const auditUrls: string[] = [];
  let staleEntries: string[] = [];
  let checkedEntries = 0;
  let invalidationsApplied = 0;

  try {
    await pg.connect();
    say(
      `creating ${USERS} users in PostgreSQL (${USERS_TABLE}) and ${PRODUCTS} products in DynamoDB (${PRODUCTS_TABLE})`,
    );
    await createUsersTable(pg, USERS);
    cleanups.unshift(['demo schema', () => dropUsersTable(pg)]);
    await createProductsTable(dynamodb, PRODUCTS);
    cleanups.unshift(['demo table', () => deleteProductsTable(dynamodb)]);

    if (args.source === 'debezium') {
      say('registering the Debezium PostgreSQL connector and waiting until it streams');
      connector = await registerDebeziumConnector({
        source: 'postgres',
        tables: [USERS_TABLE],
        name: `demo_${runId}`,
        config: { 'poll.interval.ms': '50', 'producer.override.linger.ms': '0' },
      });
      const debezium = connector;
      cleanups.unshift(['connector', () => debezium.delete()]);
      // Debezium creates a table's topic at its first change, and the worker and the auditor wait for it
      // before they are ready; the workload writes only once they are: create it first.
      await createTopics([connector.topicFor(USERS_TABLE)], {
        partitions: 1,
        brokers: endpoints.kafka.brokers,
      });
    }

    const common = {
      CDC_CACHE_KEYSPACE: KEYSPACE_FILE,
      CDC_CACHE_KEY_PREFIX: prefix,
      CDC_CACHE_REDIS_URL: endpoints.redis.url,
      CDC_CACHE_LOG_LEVEL: 'info',
    };
    const pgPort = await freePort();
    const slot = `demo_${runId}`;
    let pgWorker: DemoProcess;
    // One configuration per source, shared by its worker and its auditor.
    const kafkaEnv = connector
      ? {
          ...common,
          CDC_CACHE_KAFKA_BROKERS: endpoints.kafka.brokers.join(','),
          CDC_CACHE_KAFKA_TOPICS: connector.topicFor(USERS_TABLE),
          CDC_CACHE_KAFKA_GROUP_ID: `demo-${runId}`,
          CDC_CACHE_DLQ_TOPIC: `demo-${runId}.dlq`,
        }
      : undefined;
    if (kafkaEnv) {
      say('starting the Kafka worker (cdc-cache worker kafka)');
      pgWorker = startProcess('kafka-worker', ['src/cli/main.ts', 'worker', 'kafka'], {
        ...kafkaEnv,
        CDC_CACHE_HTTP_PORT: String(pgPort),
      });
    } else {
      say('starting the PostgreSQL worker (cdc-cache worker postgres: logical replication, no Kafka)');
      const { host, port, user, database } = endpoints.postgres;
      pgWorker = startProcess('postgres-worker', ['src/cli/main.ts', 'worker', 'postgres'], {
        ...common,
        CDC_CACHE_POSTGRES_URL: `postgres://${user}@${host}:${port}/${database}`,
        CDC_CACHE_POSTGRES_SLOT: slot,
        CDC_CACHE_POSTGRES_PUBLICATION: slot,
        CDC_CACHE_POSTGRES_TABLES: USERS_TABLE,
        CDC_CACHE_HTTP_PORT: String(pgPort),
      });
      // After the worker is stopped (cleanups run after the processes): a leaked slot would retain WAL.
      cleanups.unshift([
        'replication slot',
        async () => {
          await pg.query(
            'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active',
            [slot],
          );
          await pg.query(`DROP PUBLICATION IF EXISTS ${slot}`);
        },
      ]);
    }
    processes.push(pgWorker);
    const dynamoPort = await freePort();
    say('starting the DynamoDB Streams worker (cdc-cache worker dynamodb)');
    const dynamoEnv = {
      ...common,
      CDC_CACHE_DYNAMODB_TABLE: PRODUCTS_TABLE,
      CDC_CACHE_DYNAMODB_ENDPOINT: endpoints.dynamodb.endpoint,
      AWS_REGION: endpoints.dynamodb.region,
      AWS_ACCESS_KEY_ID: endpoints.dynamodb.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: endpoints.dynamodb.credentials.secretAccessKey,
      CDC_CACHE_DYNAMODB_IDLE_MS: '100',
    };
    const dynamoWorker = startProcess('dynamodb-worker', ['src/cli/main.ts', 'worker', 'dynamodb'], {
      ...dynamoEnv,
      CDC_CACHE_HTTP_PORT: String(dynamoPort),
    });
    processes.push(dynamoWorker);
    say(
      kafkaEnv
        ? 'starting both auditors (cdc-cache audit kafka, cdc-cache audit dynamodb): read-only, own positions'
        : 'starting the DynamoDB auditor (cdc-cache audit dynamodb): read-only, own positions',
    );
    const auditEnv = { CDC_CACHE_AUDIT_DELAYS: AUDIT_DELAYS.join(','), CDC_CACHE_AUDIT_RECHECK_MS: '250' };
    const auditors: { name: string; port: number; process: DemoProcess }[] = [];
    if (kafkaEnv) {
      const kafkaAuditPort = await freePort();
      const kafkaAudit = startProcess('kafka-audit', ['src/cli/main.ts', 'audit', 'kafka'], {
        ...kafkaEnv,
        ...auditEnv,
        CDC_CACHE_AUDIT_GROUP_ID: `demo-${runId}-audit`,
        CDC_CACHE_HTTP_PORT: String(kafkaAuditPort),
      });
      processes.push(kafkaAudit);
      auditors.push({ name: 'Kafka auditor', port: kafkaAuditPort, process: kafkaAudit });
    }
    const dynamoAuditPort = await freePort();
    const dynamoAudit = startProcess('dynamodb-audit', ['src/cli/main.ts', 'audit', 'dynamodb'], {
      ...dynamoEnv,
      ...auditEnv,
      CDC_CACHE_HTTP_PORT: String(dynamoAuditPort),
    });
    processes.push(dynamoAudit);
    auditors.push({ name: 'DynamoDB auditor', port: dynamoAuditPort, process: dynamoAudit });
    auditUrls.push(...auditors.map(({ port }) => `http://127.0.0.1:${port}/metrics`));
    say('starting the read service (SDK cache-aside over PostgreSQL and DynamoDB)');
    const readService = startProcess('read-service', ['scripts/demo/read-service.ts'], {
      DEMO_VERIFY_DELAY: String(VERIFY_DELAY_MS),
      CDC_CACHE_KEYSPACE: KEYSPACE_FILE,
      CDC_CACHE_KEY_PREFIX: prefix,
    });
    processes.push(readService);
    const readPort = Number((await readService.waitForLine(/^ready (\d+)$/, 60_000))[1]);
    await waitReady(
      connector ? 'Kafka worker' : 'PostgreSQL worker',
      `http://127.0.0.1:${pgPort}/readyz`,
      pgWorker,
      90_000,
    );
    await waitReady('DynamoDB worker', `http://127.0.0.1:${dynamoPort}/readyz`, dynamoWorker, 90_000);
    for (const auditor of auditors) {
      await waitReady(auditor.name, `http://127.0.0.1:${auditor.port}/readyz`, auditor.process, 90_000);
    }
    if (interrupted.signal.aborted) return 130;

    // Every worker counts its records under the same name (docs/metrics.md).
    const metricsOf = async () =>
      (await scrapeCounter(
        `http://127.0.0.1:${pgPort}/metrics`,
        'cdc_cache_records_total',
        'result="applied"',
      )) +
      (await scrapeCounter(
        `http://127.0.0.1:${dynamoPort}/metrics`,
        'cdc_cache_records_total',
        'result="applied"',
      ));
    const readServiceUrl = `http://127.0.0.1:${readPort}`;
    const fetchReadStats = async () =>
      (await fetch(`${readServiceUrl}/stats`).then((response) => response.json())) as typeof readStats;
    say(
      `running the workload for ${args.durationS}s: reads through the SDK, writes to PostgreSQL and DynamoDB`,
    );
    const startedAt = performance.now();
    const ticker = setInterval(() => {
      void Promise.all([fetchReadStats(), metricsOf()]).then(
        ([read, applied]) => {
          readStats = read;
          invalidationsApplied = applied;
          const hitRatio = read.hits / Math.max(1, read.hits + read.misses);
          const p50 = percentile(stats.latenciesMs, 50);
          const p99 = percentile(stats.latenciesMs, 99);
          say(
            `${((performance.now() - startedAt) / 1000).toFixed(0).padStart(3)}s  reads ${stats.reads}  hit ratio ${(hitRatio * 100).toFixed(1)}%  ` +
              `writes ${stats.writes}  invalidations applied ${applied}  commit->invalidated p50 ${p50?.toFixed(0) ?? '-'} ms p99 ${p99?.toFixed(0) ?? '-'} ms`,
          );
        },
        () => undefined,
      );
    }, 1_000);
    const timer = setTimeout(() => stopWorkload.abort(), args.durationS * 1_000);
    await runWorkload(
      {
        pg,
        dynamodb,
        redis,
        readServiceUrl,
        users: USERS,
        products: PRODUCTS,
        keyOf: (entity, id) => cache.keyOf(entity, entity === 'user' ? { id } : { sku: id }),
      },
      stats,
      stopWorkload.signal,
    );
    clearTimeout(timer);
    clearInterval(ticker);
    readStats = await fetchReadStats();
    invalidationsApplied = await metricsOf();
    if (interrupted.signal.aborted) return 130;

    say('waiting for the auditors and the sampled verifications to finish');
    // A verification ends at most two verify delays after its hit; the auditors' queues drain by the last delay.
    const settleFrom = Date.now();
    do {
      audit = await auditFigures(auditUrls, AUDIT_DELAYS);
      if (audit.pending === 0 && Date.now() - settleFrom >= 2 * VERIFY_DELAY_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    } while (Date.now() - settleFrom < 10_000);
    readStats = await fetchReadStats();
    say('checking every cached entry against PostgreSQL and DynamoDB');
    const check = await findStaleEntries({
      cache,
      pg,
      dynamodb,
      users: USERS,
      products: PRODUCTS,
      emails: stats.emails,
    });
    staleEntries = check.stale;
    checkedEntries = check.checked;
    say(
      `${check.checked} cached entries checked, ${check.stale.length} stale${check.stale.length ? `: ${check.stale.slice(0, 5).join(', ')}` : ''}`,
    );
    return staleEntries.length === 0 && stats.missedInvalidations === 0 ? 0 : 1;
  } finally {
    stopWorkload.abort();
    for (const child of processes) await child.stop();
    for (const [name, cleanup] of cleanups) {
      await cleanup().catch((error: Error) => say(`cleanup of ${name} failed: ${error.message}`));
    }
    await deleteDemoKeys(redis, prefix).catch(() => undefined);
    await cache.close();
    redis.disconnect();
    await pg.end().catch(() => undefined);
    dynamodb.destroy();
    const hitRatio = readStats.hits / Math.max(1, readStats.hits + readStats.misses);
    const summary = {
      duration_s: args.durationS,
      source: args.source,
      interrupted: interrupted.signal.aborted,
      reads: stats.reads,
      read_errors: stats.readErrors,
      hit_ratio: Number(hitRatio.toFixed(4)),
      writes: stats.writes,
      invalidations_applied: invalidationsApplied,
      invalidations_observed: stats.latenciesMs.length,
      missed_invalidations: stats.missedInvalidations,
      latency_p50_ms: round(percentile(stats.latenciesMs, 50)),
      latency_p99_ms: round(percentile(stats.latenciesMs, 99)),
      cached_entries_checked: checkedEntries,
      stale_count: staleEntries.length,
      audit: audit ?? null,
      verify: readStats.verify,
      processes: processes.map((child) => ({ name: child.name, pid: child.pid })),
      stack_started_by_demo: !stackWasUp,
    };
    say(
      `done: ${summary.reads} reads (hit ratio ${(hitRatio * 100).toFixed(1)}%), ${summary.writes} writes, ` +
        `${summary.invalidations_observed} invalidations seen, p50 ${summary.latency_p50_ms} ms, p99 ${summary.latency_p99_ms} ms, stale ${summary.stale_count}`,
    );
    if (audit) {
      const delays = Object.entries(audit.delays)
        .map(
          ([delay, { checked, inconsistent, nines }]) =>
            `within ${delay} ${nines} (${inconsistent} of ${checked} inconsistent)`,
        )
        .join(', ');
      say(`audit: ${audit.changes_audited} changes audited; consistent ${delays}`);
    }
    say(
      `verify: ${readStats.verify.verified} sampled hits re-loaded, ${readStats.verify.mismatches} mismatches (${readStats.verify.changed} changed in time)`,
    );
    if (args.json) console.log(JSON.stringify(summary));
  }
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 10) / 10);

async function deleteDemoKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.unlink(...keys);
    cursor = next;
  } while (cursor !== '0');
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`[demo] failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
