import { randomInt } from 'node:crypto';
import { connectPostgres } from './database-clients';
import { deleteTopics } from './kafka-topics';
import { type StackEndpoints, stackEndpoints } from './stack-endpoints';
import { uniqueName } from './unique-name';
import { waitFor } from './wait-for';

/** The database a Debezium connector reads. */
export type DebeziumSource = 'postgres' | 'mariadb';

/** Options of {@link registerDebeziumConnector}. */
export interface DebeziumConnectorOptions {
  /** Which connector: Debezium PostgreSQL (pgoutput) or Debezium MariaDB (row binlog). */
  readonly source: DebeziumSource;
  /** Tables to capture: `users` or qualified (`public.users` for Postgres, `cdc_cache_test.users` for MariaDB). */
  readonly tables: readonly string[];
  /** Connector name = topic prefix = Postgres slot name, so `[a-z0-9_]` only. Default: a {@link uniqueName}. */
  readonly name?: string;
  /** Debezium `snapshot.mode`. Default `no_data`: only changes made after the connector streams. */
  readonly snapshotMode?: string;
  /** Extra or overriding connector settings, e.g. `{ 'tombstones.on.delete': 'false' }`. */
  readonly config?: Readonly<Record<string, string>>;
  /** Wait until the connector streams changes (its first streaming offset is committed). Default true. */
  readonly waitForStreaming?: boolean;
  /** Bound on each wait (RUNNING, streaming). Default 90 000 ms. */
  readonly timeoutMs?: number;
  /** Default: {@link stackEndpoints}(). */
  readonly endpoints?: StackEndpoints;
}

/** A registered connector; `delete()` it in `afterAll`/`afterEach`. */
export interface DebeziumConnector {
  /** Connector name = `topic.prefix`. */
  readonly name: string;
  readonly source: DebeziumSource;
  /** The connector's full configuration as sent to Connect. */
  readonly config: Readonly<Record<string, string>>;
  /** The topic of a table: `<prefix>.public.users` (Postgres) or `<prefix>.cdc_cache_test.users` (MariaDB). */
  topicFor(table: string): string;
  /** Remove the connector, drop its replication slot and publication (Postgres) and delete its topics. Idempotent. */
  delete(): Promise<void>;
}

/** The status document of `GET /connectors/<name>/status`. */
export interface ConnectorStatus {
  readonly connector: { readonly state: string; readonly trace?: string };
  readonly tasks: ReadonlyArray<{ readonly id: number; readonly state: string; readonly trace?: string }>;
}

const CONNECTOR_CLASS: Record<DebeziumSource, string> = {
  postgres: 'io.debezium.connector.postgresql.PostgresConnector',
  mariadb: 'io.debezium.connector.mariadb.MariaDbConnector',
};

/** Qualify a table name with the source's default schema (Postgres `public`) or database (MariaDB). */
function qualify(source: DebeziumSource, table: string, endpoints: StackEndpoints): string {
  if (table.includes('.')) return table;
  return source === 'postgres' ? `public.${table}` : `${endpoints.mariadb.database}.${table}`;
}

/** Debezium include lists are regular expressions: match the qualified names exactly. */
const includeList = (tables: readonly string[]): string =>
  tables.map((table) => table.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join(',');

function connectorConfig(
  source: DebeziumSource,
  name: string,
  tables: readonly string[],
  endpoints: StackEndpoints,
): Record<string, string> {
  const common = {
    'connector.class': CONNECTOR_CLASS[source],
    'topic.prefix': name,
    'table.include.list': includeList(tables),
    'tasks.max': '1',
    // Heartbeats commit a streaming offset while the tables are idle: that is how we know the connector streams.
    'heartbeat.interval.ms': '250',
  };
  if (source === 'postgres') {
    const { host, port, user, database } = endpoints.postgres;
    return {
      ...common,
      'database.hostname': host,
      'database.port': String(port),
      'database.user': user,
      'database.dbname': database,
      'plugin.name': 'pgoutput',
      'slot.name': name,
      'publication.name': `${name}_pub`,
      'publication.autocreate.mode': 'filtered',
    };
  }
  const { host, port, user, password } = endpoints.mariadb;
  return {
    ...common,
    'database.hostname': host,
    'database.port': String(port),
    'database.user': user,
    'database.password': password,
    // Every binlog reader needs a server id of its own (the server itself is 1).
    'database.server.id': String(randomInt(10_000, 2 ** 31 - 1)),
    'database.include.list': [...new Set(tables.map((table) => table.split('.')[0]))].join(','),
    'schema.history.internal.kafka.bootstrap.servers': endpoints.kafka.brokers.join(','),
    'schema.history.internal.kafka.topic': `${name}.schema-history`,
    'include.schema.changes': 'false',
  };
}

async function connectRequest(url: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(url, {
    ...init,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

/** `GET /connectors/<name>/status`, or undefined while Connect has no status for it yet. */
export async function connectorStatus(
  name: string,
  endpoints: StackEndpoints = stackEndpoints(),
): Promise<ConnectorStatus | undefined> {
  const { status, body } = await connectRequest(`${endpoints.connect.url}/connectors/${name}/status`);
  if (status === 404) return undefined;
  if (status !== 200)
    throw new Error(`GET /connectors/${name}/status answered ${status}: ${JSON.stringify(body)}`);
  return body as ConnectorStatus;
}

function failure(status: ConnectorStatus): string | undefined {
  if (status.connector.state === 'FAILED') return status.connector.trace ?? 'connector FAILED';
  const task = status.tasks.find((t) => t.state === 'FAILED');
  return task ? (task.trace ?? `task ${task.id} FAILED`) : undefined;
}

/**
 * Register a Debezium Postgres or MariaDB connector through the Connect REST API, with a unique topic prefix,
 * slot, publication and server id, and wait until it is RUNNING and streaming. Tables must exist first.
 *
 * @example
 * const connector = await registerDebeziumConnector({ source: 'postgres', tables: [table] })
 * const topic = connector.topicFor(table) // `${connector.name}.public.${table}`
 * // ... write rows, read the topic ...
 * await connector.delete()
 */
export async function registerDebeziumConnector(
  options: DebeziumConnectorOptions,
): Promise<DebeziumConnector> {
  const endpoints = options.endpoints ?? stackEndpoints();
  const timeoutMs = options.timeoutMs ?? 90_000;
  const name = options.name ?? uniqueName(`dbz_${options.source}`);
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`connector name ${name}: use 1-63 of [a-z0-9_]`);
  const tables = options.tables.map((table) => qualify(options.source, table, endpoints));
  const config = {
    ...connectorConfig(options.source, name, tables, endpoints),
    'snapshot.mode': options.snapshotMode ?? 'no_data',
    ...options.config,
  };
  const base = `${endpoints.connect.url}/connectors/${name}`;

  const put = await connectRequest(`${base}/config`, { method: 'PUT', body: JSON.stringify(config) });
  if (put.status !== 200 && put.status !== 201) {
    throw new Error(`Connect refused connector ${name} (${put.status}): ${JSON.stringify(put.body)}`);
  }

  const connector: DebeziumConnector = {
    name,
    source: options.source,
    config,
    topicFor: (table) => `${name}.${qualify(options.source, table, endpoints)}`,
    delete: () => deleteConnector(name, options.source, endpoints),
  };

  try {
    // Both waits also end, with the stack trace, as soon as the connector or its task FAILED.
    const running = await waitFor(
      async () => {
        const status = await connectorStatus(name, endpoints);
        if (!status) return undefined;
        const failed = failure(status);
        if (failed) return { failed };
        const allRunning = status.tasks.length > 0 && status.tasks.every((t) => t.state === 'RUNNING');
        return status.connector.state === 'RUNNING' && allRunning && { failed: undefined };
      },
      { description: `connector ${name} and its task RUNNING`, timeoutMs, intervalMs: 250 },
    );
    if (running.failed) throw new Error(`connector ${name} failed:\n${running.failed}`);

    if (options.waitForStreaming ?? true) {
      const streaming = await waitFor(
        async () => {
          const status = await connectorStatus(name, endpoints);
          const failed = status && failure(status);
          if (failed) return { failed };
          const { body } = await connectRequest(`${base}/offsets`);
          const offsets = (body as { offsets?: Array<{ offset: Record<string, unknown> }> }).offsets ?? [];
          // A snapshot's offsets carry `snapshot`; the first offset without it comes from the streaming phase.
          const streams =
            offsets.length > 0 &&
            offsets.every(({ offset }) => !offset.snapshot || offset.snapshot === 'false');
          return streams && { failed: undefined };
        },
        {
          description: `connector ${name} streaming (a committed streaming offset)`,
          timeoutMs,
          intervalMs: 250,
        },
      );
      if (streaming.failed) throw new Error(`connector ${name} failed:\n${streaming.failed}`);
    }
  } catch (error) {
    await connector.delete().catch(() => undefined);
    throw error;
  }
  return connector;
}

/**
 * Delete a connector, wait until Connect has stopped it, then drop its Postgres slot and publication and delete
 * the topics under its prefix. Safe to call for a connector that is already gone.
 *
 * @example
 * afterAll(() => deleteConnector(name, 'postgres'))
 */
export async function deleteConnector(
  name: string,
  source: DebeziumSource,
  endpoints: StackEndpoints = stackEndpoints(),
): Promise<void> {
  const { status, body } = await connectRequest(`${endpoints.connect.url}/connectors/${name}`, {
    method: 'DELETE',
  });
  if (status !== 204 && status !== 404)
    throw new Error(`DELETE /connectors/${name} answered ${status}: ${JSON.stringify(body)}`);
  await waitFor(async () => (await connectorStatus(name, endpoints)) === undefined, {
    description: `connector ${name} removed`,
    timeoutMs: 30_000,
    intervalMs: 200,
  });

  if (source === 'postgres') {
    const pg = await connectPostgres(endpoints);
    try {
      // The slot stays active until the task's replication connection is closed.
      await waitFor(
        async () => {
          const { rows } = await pg.query<{ active: boolean }>(
            'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
            [name],
          );
          return rows.length === 0 || rows[0]?.active === false;
        },
        { description: `replication slot ${name} released`, timeoutMs: 30_000, intervalMs: 200 },
      );
      await pg.query(
        'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
        [name],
      );
      await pg.query(`DROP PUBLICATION IF EXISTS "${name}_pub"`);
    } finally {
      await pg.end();
    }
  }

  // Its data, heartbeat and schema history topics.
  await deleteTopics((topic) => topic.startsWith(`${name}.`) || topic === `__debezium-heartbeat.${name}`, {
    brokers: endpoints.kafka.brokers,
  });
}
