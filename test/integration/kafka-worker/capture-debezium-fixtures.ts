// Capture real Debezium messages from the running stack into test/unit/debezium/fixtures/, so the decoder's
// unit tests read what the connectors actually write. Run: npx tsx test/integration/kafka-worker/capture-debezium-fixtures.ts
// [postgres|plain|flattened|mariadb] [tag]; a tag (the Debezium version, e.g. 3.6) goes into the file names,
// so the messages of earlier versions stay in the corpus.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  deleteTopics,
  mariaQuery,
  pgQuery,
  readTopic,
  startMariaDbConnector,
  startPostgresConnector,
  uniqueName,
} from './kafka-chain';

const OUT = resolve(__dirname, '../../unit/debezium/fixtures');

type Captured = Awaited<ReturnType<typeof readTopic>>[number];

const TAG = process.argv[3] ? `-${process.argv[3]}` : '';

function save(name: string, records: Captured[]): void {
  const data = records.map((record) => ({
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    key: record.key,
    value: record.value,
    headers: Object.fromEntries(Object.entries(record.headers).map(([k, v]) => [k, String(v)])),
  }));
  writeFileSync(join(OUT, `${name}${TAG}.json`), `${JSON.stringify(data, null, 2)}\n`);
  console.log(`${name}${TAG}: ${records.length} records`);
}

async function capture(topic: string, count: number): Promise<Captured[]> {
  const records = await readTopic(topic, count);
  return [...records].sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
}

async function postgres(): Promise<void> {
  const table = uniqueName('fx_pg');
  await pgQuery(
    `CREATE TABLE ${table} (id bigint PRIMARY KEY, email text NOT NULL, price numeric(10,2), amount numeric, created_at timestamptz, seen_at timestamp, day date)`,
  );
  await pgQuery(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  const connector = await startPostgresConnector([table], {
    'provide.transaction.metadata': 'true',
    'heartbeat.interval.ms': '500',
    'skipped.operations': 'none',
  });
  try {
    await pgQuery(
      `INSERT INTO ${table} VALUES (9007199254740993, 'a@example.com', 12.34, -0.005, '2024-11-23T11:06:40.123456Z', '2024-11-23 11:06:40.5', '2024-11-23')`,
    );
    await pgQuery(`UPDATE ${table} SET email = 'b@example.com', price = -99.99 WHERE id = 9007199254740993`);
    await pgQuery(`DELETE FROM ${table} WHERE id = 9007199254740993`);
    await pgQuery(`INSERT INTO ${table} (id, email) VALUES (2, 'c@example.com')`);
    await pgQuery(`TRUNCATE ${table}`);
    save('postgres-envelope-schemas', await capture(connector.topic(table), 6));
    save('postgres-transaction', (await capture(`${connector.topicPrefix}.transaction`, 2)).slice(0, 2));
    save(
      'postgres-heartbeat',
      (await capture(`__debezium-heartbeat.${connector.topicPrefix}`, 1)).slice(0, 1),
    );
  } finally {
    await connector.remove();
    await pgQuery(`DROP TABLE ${table}`);
    await deleteTopics([
      connector.topic(table),
      `${connector.topicPrefix}.transaction`,
      `__debezium-heartbeat.${connector.topicPrefix}`,
    ]);
  }
}

/** The envelope without schemas (`schemas.enable=false`), for the table of {@link postgres}. */
async function postgresPlain(): Promise<void> {
  const table = uniqueName('fx_plain');
  await pgQuery(
    `CREATE TABLE ${table} (id bigint PRIMARY KEY, email text NOT NULL, price numeric(10,2), amount numeric, created_at timestamptz, seen_at timestamp, day date)`,
  );
  await pgQuery(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  const connector = await startPostgresConnector([table], {
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
  });
  try {
    await pgQuery(
      `INSERT INTO ${table} VALUES (1, 'a@example.com', 12.34, -0.005, '2024-11-23T11:06:40.123456Z', '2024-11-23 11:06:40.5', '2024-11-23')`,
    );
    await pgQuery(`UPDATE ${table} SET email = 'b@example.com', price = -99.99 WHERE id = 1`);
    await pgQuery(`DELETE FROM ${table} WHERE id = 1`);
    save('postgres-envelope-plain', await capture(connector.topic(table), 4));
  } finally {
    await connector.remove();
    await pgQuery(`DROP TABLE ${table}`);
    await deleteTopics([connector.topic(table)]);
  }
}

async function postgresFlattened(): Promise<void> {
  const table = uniqueName('fx_flat');
  await pgQuery(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL)`);
  const connector = await startPostgresConnector([table], {
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'key.converter.schemas.enable': 'false',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    transforms: 'unwrap',
    'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.add.fields': 'op,table,lsn,source.ts_ms',
    'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite-with-tombstone',
  });
  try {
    await pgQuery(`INSERT INTO ${table} VALUES (1, 'a@example.com')`);
    await pgQuery(`UPDATE ${table} SET email = 'b@example.com' WHERE id = 1`);
    await pgQuery(`DELETE FROM ${table} WHERE id = 1`);
    save('postgres-flattened', await capture(connector.topic(table), 4));
  } finally {
    await connector.remove();
    await pgQuery(`DROP TABLE ${table}`);
    await deleteTopics([connector.topic(table)]);
  }
}

async function mariadb(): Promise<void> {
  const table = uniqueName('fx_maria');
  await mariaQuery(
    `CREATE TABLE ${table} (id BIGINT PRIMARY KEY, email VARCHAR(200) NOT NULL, price DECIMAL(10,2), created_at DATETIME(3), updated_at TIMESTAMP(6) NULL)`,
  );
  const connector = await startMariaDbConnector([table], { 'include.schema.changes': 'true' });
  try {
    await mariaQuery(
      `INSERT INTO ${table} VALUES (1, 'a@example.com', 12.34, '2024-11-23 11:06:40.123', '2024-11-23 11:06:40.123456')`,
    );
    await mariaQuery(`UPDATE ${table} SET email = 'b@example.com' WHERE id = 1`);
    await mariaQuery(`DELETE FROM ${table} WHERE id = 1`);
    save('mariadb-envelope-schemas', await capture(connector.topic(table), 4));
    save('mariadb-schema-change', (await capture(connector.topicPrefix, 1)).slice(0, 1));
  } finally {
    await connector.remove();
    await mariaQuery(`DROP TABLE ${table}`);
    await deleteTopics([
      connector.topic(table),
      connector.topicPrefix,
      `${connector.topicPrefix}.schema-history`,
    ]);
  }
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const only = process.argv[2] === 'all' ? undefined : process.argv[2];
  if (!only || only === 'postgres') await postgres();
  if (!only || only === 'plain') await postgresPlain();
  if (!only || only === 'flattened') await postgresFlattened();
  if (!only || only === 'mariadb') await mariadb();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
