// A Debezium PostgreSQL connector for one benchmark table, through the Kafka Connect REST API: registered
// with a unique name (its topic prefix, slot and publication), awaited until it streams, and removed with
// its slot and publication afterwards.
import { Kafka, logLevel } from 'kafkajs';
import { Client } from 'pg';
import { stack, waitFor } from './stack';

async function connect(path: string, init?: RequestInit): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`${stack.connectUrl}${path}`, {
    ...init,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

interface Status {
  readonly connector: { readonly state: string; readonly trace?: string };
  readonly tasks: readonly { readonly state: string; readonly trace?: string }[];
}

/** A registered connector: its topic for the table, and how to remove it. */
export interface PostgresConnector {
  readonly topic: string;
  readonly remove: () => Promise<void>;
}

/**
 * Register a connector for `public.<table>` (no snapshot) and wait until it streams.
 *
 * @example
 * const connector = await registerPostgresConnector('bench_pg_x', table)
 */
export async function registerPostgresConnector(name: string, table: string): Promise<PostgresConnector> {
  const { host, port, user, database } = stack.postgres;
  const config = {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'topic.prefix': name,
    'table.include.list': `public\\.${table}`,
    'tasks.max': '1',
    'heartbeat.interval.ms': '250',
    'database.hostname': host,
    'database.port': String(port),
    'database.user': user,
    'database.dbname': database,
    'plugin.name': 'pgoutput',
    'slot.name': name,
    'publication.name': `${name}_pub`,
    'publication.autocreate.mode': 'filtered',
    'snapshot.mode': 'no_data',
  };
  const put = await connect(`/connectors/${name}/config`, { method: 'PUT', body: JSON.stringify(config) });
  if (put.status !== 200 && put.status !== 201)
    throw new Error(`Connect refused connector ${name} (${put.status}): ${JSON.stringify(put.body)}`);
  const remove = () => removeConnector(name);
  try {
    await waitFor(
      async () => {
        const { status, body } = await connect(`/connectors/${name}/status`);
        if (status !== 200) return false;
        const state = body as Status;
        const failed = [state.connector, ...state.tasks].find((each) => each.state === 'FAILED');
        if (failed) throw new Error(`connector ${name} failed: ${failed.trace ?? ''}`);
        const running = state.tasks.length > 0 && state.tasks.every((task) => task.state === 'RUNNING');
        if (!(state.connector.state === 'RUNNING' && running)) return false;
        // Streaming once it has committed an offset outside a snapshot.
        const offsets = (
          (await connect(`/connectors/${name}/offsets`)).body as {
            offsets?: { offset: Record<string, unknown> }[];
          }
        ).offsets;
        return (
          (offsets ?? []).length > 0 &&
          offsets!.every(({ offset }) => !offset['snapshot'] || offset['snapshot'] === 'false')
        );
      },
      { description: `connector ${name} streaming`, timeoutMs: 120_000, intervalMs: 250 },
    );
  } catch (error) {
    await remove().catch(() => undefined);
    throw error;
  }
  return { topic: `${name}.public.${table}`, remove };
}

async function removeConnector(name: string): Promise<void> {
  await connect(`/connectors/${name}`, { method: 'DELETE' });
  await waitFor(async () => (await connect(`/connectors/${name}/status`)).status === 404, {
    description: `connector ${name} removed`,
  });
  const pg = new Client(stack.postgres);
  await pg.connect();
  try {
    await waitFor(
      async () => {
        const { rows } = await pg.query<{ active: boolean }>(
          'SELECT active FROM pg_replication_slots WHERE slot_name = $1',
          [name],
        );
        return rows.length === 0 || rows[0]?.active === false;
      },
      { description: `slot ${name} released` },
    );
    await pg.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [name],
    );
    await pg.query(`DROP PUBLICATION IF EXISTS "${name}_pub"`);
  } finally {
    await pg.end();
  }
  // Its data and heartbeat topics.
  const admin = new Kafka({ brokers: [...stack.kafkaBrokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter(
      (topic) => topic.startsWith(`${name}.`) || topic === `__debezium-heartbeat.${name}`,
    );
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 15_000 });
  } finally {
    await admin.disconnect();
  }
}
