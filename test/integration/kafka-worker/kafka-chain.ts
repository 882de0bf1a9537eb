// Helpers for the Kafka worker's integration tests: the real chain PostgreSQL/MariaDB → Kafka Connect
// (Debezium) → Kafka → worker → Redis. Every name is unique per test so tests can run beside each other.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';
import { createConnection } from 'mysql2/promise';
import { Client } from 'pg';

export const BROKERS = ['127.0.0.1:9092'];
export const CONNECT_URL = 'http://127.0.0.1:8083';
export const REDIS_URL = 'redis://127.0.0.1:6379';
const PG = { host: '127.0.0.1', port: 5432, user: 'postgres', database: 'cdc_cache_test' };
const MARIADB = { host: '127.0.0.1', port: 3306, user: 'root', database: 'cdc_cache_test' };

/** A short unique lowercase name: safe as a table, topic, slot, group or key prefix. */
export function uniqueName(label: string): string {
  return `${label}_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Poll until `condition` returns a truthy value, or fail after `timeoutMs` naming what was awaited. */
export async function waitFor<T>(
  condition: () => Promise<T> | T,
  {
    timeoutMs = 60_000,
    intervalMs = 250,
    description,
  }: { timeoutMs?: number; intervalMs?: number; description: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await condition();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${description}${last ? ` (last error: ${String(last)})` : ''}`,
      );
    }
    await new Promise((done) => setTimeout(done, intervalMs));
  }
}

async function connect(method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${CONNECT_URL}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok && response.status !== 404)
    throw new Error(`Kafka Connect ${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A Debezium connector registered for one test; `remove` deletes it and its replication slot. */
export interface TestConnector {
  readonly name: string;
  readonly topicPrefix: string;
  /** The topic of `table`: `<prefix>.<schema or db>.<table>`. */
  topic(table: string): string;
  remove(): Promise<void>;
}

/** Register a Debezium PostgreSQL connector for `tables` of schema public and wait until it streams. */
export async function startPostgresConnector(
  tables: readonly string[],
  extra: Record<string, string> = {},
): Promise<TestConnector> {
  const name = uniqueName('pg');
  const slot = name;
  await connect('POST', '/connectors', {
    name,
    config: {
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'database.hostname': PG.host,
      'database.port': String(PG.port),
      'database.user': PG.user,
      'database.password': 'unused',
      'database.dbname': PG.database,
      'topic.prefix': name,
      'plugin.name': 'pgoutput',
      'slot.name': slot,
      'publication.name': `${name}_pub`,
      'publication.autocreate.mode': 'filtered',
      'table.include.list': tables.map((table) => `public.${table}`).join(','),
      'snapshot.mode': 'no_data',
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '3',
      'producer.override.linger.ms': '5',
      'poll.interval.ms': '50',
      ...extra,
    },
  });
  await waitForRunning(name);
  // The slot exists once the connector streams; changes made before that would be missed.
  await waitFor(
    async () => {
      const rows = await pgQuery('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
      return rows[0]?.['active'] === true;
    },
    { description: `replication slot ${slot} active` },
  );
  return {
    name,
    topicPrefix: name,
    topic: (table) => `${name}.public.${table}`,
    async remove() {
      await connect('DELETE', `/connectors/${name}`);
      await waitFor(
        async () => {
          const rows = await pgQuery('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
          if (rows.length === 0) return true;
          if (rows[0]?.['active'] === true) return false;
          await pgQuery('SELECT pg_drop_replication_slot($1)', [slot]);
          return true;
        },
        { description: `replication slot ${slot} dropped` },
      );
      await pgQuery(`DROP PUBLICATION IF EXISTS ${name}_pub`);
    },
  };
}

/** Register a Debezium MariaDB connector for `tables` of database cdc_cache_test and wait until it streams. */
export async function startMariaDbConnector(
  tables: readonly string[],
  extra: Record<string, string> = {},
): Promise<TestConnector> {
  const name = uniqueName('maria');
  await connect('POST', '/connectors', {
    name,
    config: {
      'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
      'database.hostname': MARIADB.host,
      'database.port': String(MARIADB.port),
      'database.user': MARIADB.user,
      'database.password': '',
      'database.server.id': String(10_000 + Math.floor(Math.random() * 1_000_000)),
      'topic.prefix': name,
      'database.include.list': MARIADB.database,
      'table.include.list': tables.map((table) => `${MARIADB.database}.${table}`).join(','),
      'schema.history.internal.kafka.bootstrap.servers': BROKERS.join(','),
      'schema.history.internal.kafka.topic': `${name}.schema-history`,
      'snapshot.mode': 'no_data',
      'topic.creation.default.replication.factor': '1',
      'topic.creation.default.partitions': '3',
      'producer.override.linger.ms': '5',
      ...extra,
    },
  });
  await waitForRunning(name);
  return {
    name,
    topicPrefix: name,
    topic: (table) => `${name}.${MARIADB.database}.${table}`,
    async remove() {
      await connect('DELETE', `/connectors/${name}`);
    },
  };
}

async function waitForRunning(name: string): Promise<void> {
  await waitFor(
    async () => {
      const status = (await connect('GET', `/connectors/${name}/status`)) as {
        connector?: { state: string };
        tasks?: { state: string; trace?: string }[];
      } | null;
      const failed = status?.tasks?.find((task) => task.state === 'FAILED');
      if (failed) throw new Error(`connector ${name} failed: ${failed.trace?.slice(0, 800)}`);
      return status?.connector?.state === 'RUNNING' && status.tasks?.[0]?.state === 'RUNNING';
    },
    { timeoutMs: 90_000, description: `connector ${name} running` },
  );
  // Debezium reports RUNNING a moment before its streaming source is attached.
  await new Promise((done) => setTimeout(done, 1500));
}

/** Run one PostgreSQL statement on cdc_cache_test. */
export async function pgQuery(sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const client = new Client(PG);
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** Run one MariaDB statement on cdc_cache_test. */
export async function mariaQuery(sql: string, params: unknown[] = []): Promise<unknown> {
  const connection = await createConnection(MARIADB);
  try {
    const [rows] = await connection.query(sql, params);
    return rows;
  } finally {
    await connection.end();
  }
}

/** A kafkajs client for tests (quiet). */
export function testKafka(): Kafka {
  return new Kafka({ brokers: BROKERS, clientId: uniqueName('test'), logLevel: logLevel.NOTHING });
}

/** Create a topic with `partitions` partitions. */
export async function createTopic(topic: string, partitions = 3): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }],
      waitForLeaders: true,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Delete topics (ignoring ones that do not exist). */
export async function deleteTopics(topics: readonly string[]): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const present = topics.filter((topic) => existing.has(topic));
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  } catch {
    // Best effort: a leftover topic does not break other tests, whose names are unique.
  } finally {
    await admin.disconnect();
  }
}

/** Wait until `topic` exists (Debezium creates a table's topic with its first change). */
export async function waitForTopic(topic: string, timeoutMs = 60_000): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await waitFor(async () => (await admin.listTopics()).includes(topic), {
      timeoutMs,
      description: `topic ${topic}`,
    });
  } finally {
    await admin.disconnect();
  }
}

/** Produce raw messages. */
export async function produce(topic: string, messages: Message[]): Promise<void> {
  const producer = testKafka().producer();
  await producer.connect();
  try {
    await producer.send({ topic, messages });
  } finally {
    await producer.disconnect();
  }
}

/** Every message of `topic` from the beginning, read until at least `count` arrived. */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 60_000,
): Promise<
  {
    partition: number;
    offset: string;
    key: Buffer | null;
    value: Buffer | null;
    headers: Record<string, unknown>;
  }[]
> {
  await waitForTopic(topic, timeoutMs);
  const consumer = testKafka().consumer({ groupId: uniqueName('reader') });
  const messages: Awaited<ReturnType<typeof readTopic>> = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        messages.push({
          partition,
          offset: message.offset,
          key: message.key,
          value: message.value,
          headers: message.headers ?? {},
        });
      },
    });
    await waitFor(() => messages.length >= count, {
      timeoutMs,
      description: `${count} messages on ${topic}`,
    });
    return messages;
  } finally {
    await consumer.disconnect();
  }
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

/** Spawn `cdc-cache worker kafka` with `env` (the tsx loader runs the TypeScript sources). */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const root = resolve(__dirname, '../../..');
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'worker', 'kafka'],
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

/** A free TCP port. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}
