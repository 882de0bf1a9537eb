// Helpers for the Kafka worker's integration tests: the real chain PostgreSQL/MariaDB → Kafka Connect
// (Debezium) → Kafka → worker → Redis, on top of the shared test/support helpers. Every name is unique per
// test so tests can run beside each other.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  createTopics,
  deleteTopics as deleteStackTopics,
  produce,
  waitForTopic,
} from '../../../scripts/stack/kafka-topics';
import { connectMariaDb, connectPostgres } from '../../support/database-clients';
import { registerDebeziumConnector } from '../../support/debezium-connectors';
import { freePort } from '../../support/free-port';
import { readTopicUntil, type TopicMessage } from '../../support/kafka-topic-reader';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';

export { freePort, produce, uniqueName, waitFor, waitForTopic };

const endpoints = stackEndpoints();
export const BROKERS = [...endpoints.kafka.brokers];
export const REDIS_URL = endpoints.redis.url;
export const TEST_DATABASE = endpoints.mariadb.database;

/** A Debezium connector registered for one test; `remove` deletes it, its slot and publication, and its topics. */
export interface TestConnector {
  readonly name: string;
  readonly topicPrefix: string;
  /** The topic of `table`: `<prefix>.<schema or db>.<table>`. */
  topic(table: string): string;
  remove(): Promise<void>;
}

// Short producer lingering and polling so a test sees its change within milliseconds; truncates not skipped.
const FAST = { 'producer.override.linger.ms': '5', 'skipped.operations': 'none' };

/** Register a Debezium PostgreSQL connector for `tables` of schema public and wait until it streams. */
export async function startPostgresConnector(
  tables: readonly string[],
  extra: Record<string, string> = {},
): Promise<TestConnector> {
  const connector = await registerDebeziumConnector({
    source: 'postgres',
    tables,
    name: uniqueName('pg'),
    config: { ...FAST, 'poll.interval.ms': '50', ...extra },
  });
  return {
    name: connector.name,
    topicPrefix: connector.name,
    topic: (table) => connector.topicFor(table),
    remove: () => connector.delete(),
  };
}

/** Register a Debezium MariaDB connector for `tables` of the test database and wait until it streams. */
export async function startMariaDbConnector(
  tables: readonly string[],
  extra: Record<string, string> = {},
): Promise<TestConnector> {
  const connector = await registerDebeziumConnector({
    source: 'mariadb',
    tables,
    name: uniqueName('maria'),
    config: { ...FAST, ...extra },
  });
  return {
    name: connector.name,
    topicPrefix: connector.name,
    topic: (table) => connector.topicFor(table),
    remove: () => connector.delete(),
  };
}

/** Run one PostgreSQL statement on the test database. */
export async function pgQuery(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = await connectPostgres(endpoints);
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Run one MariaDB statement on the test database. */
export async function mariaQuery(sql: string, params: unknown[] = []): Promise<unknown> {
  const connection = await connectMariaDb(endpoints);
  try {
    const [rows] = await connection.query(sql, params);
    return rows;
  } finally {
    await connection.end();
  }
}

/** Create a topic with `partitions` partitions. */
export function createTopic(topic: string, partitions = 3): Promise<void> {
  return createTopics([topic], { partitions });
}

/** Delete topics (ignoring ones that do not exist). */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  // Best effort: a leftover topic does not break other tests, whose names are unique.
  await deleteStackTopics(topics).catch(() => undefined);
}

/** Every message of `topic` from the beginning, read until at least `count` arrived. */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<readonly TopicMessage[]> {
  await waitForTopic(topic, timeoutMs);
  return readTopicUntil({
    topics: topic,
    until: (messages) => messages.length >= count,
    timeoutMs,
    description: `${count} messages`,
  });
}

/** A keyspace file for the tests' tables (users with a secondary email key; products in refresh mode). */
export function writeKeyspace(entities: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-keyspace-'));
  const file = join(dir, 'keyspace.json');
  writeFileSync(file, JSON.stringify({ entities }));
  return file;
}

/** A worker started as a child process through the real CLI. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Everything it printed so far. */
  output(): string;
  /** The exit code once it exits. */
  readonly exited: Promise<number | null>;
}

/**
 * Spawn `cdc-cache worker kafka [args]` with `env` (the tsx loader runs the TypeScript sources); `command`
 * names another command, e.g. `['audit', 'kafka']`.
 */
export function spawnWorker(
  env: Record<string, string>,
  args: readonly string[] = [],
  command: readonly string[] = ['worker', 'kafka'],
): WorkerProcess {
  const root = resolve(__dirname, '../../..');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...command, ...args],
    {
      cwd: root,
      env: { ...process.env, CDC_CACHE_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exited };
}

/**
 * Wait until the worker has consumed `count` messages (its /metrics), e.g. the rows inserted before it
 * started: a test that caches a row while the worker still applies that row's insert would see it dropped.
 */
export async function waitUntilConsumed(port: number, count: number, worker?: WorkerProcess): Promise<void> {
  await waitFor(
    async () => {
      if (worker && worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
      const response = await fetch(`http://127.0.0.1:${port}/metrics`).catch(() => null);
      const text = response?.ok ? await response.text() : '';
      const consumed = [
        ...text.matchAll(/^cdc_cache_records_total\{runtime="kafka-worker"[^}]*\} (\d+)/gm),
      ].reduce((sum, match) => sum + Number(match[1]), 0);
      return consumed >= count;
    },
    { timeoutMs: 60_000, description: `worker on :${port} consumed ${count} messages` },
  );
}

/** Wait until the worker's /readyz answers 200 (it joined its group). */
export async function waitUntilReady(port: number, worker?: WorkerProcess): Promise<void> {
  await waitFor(
    async () => {
      if (worker && worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
      const response = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null);
      return response?.status === 200;
    },
    { timeoutMs: 60_000, description: `worker on :${port} ready` },
  );
}
