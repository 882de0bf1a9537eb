// The key contract on the real stack: rows written to PostgreSQL, MariaDB and DynamoDB Local, read back
// with the drivers' DEFAULT settings (node-postgres, mysql2, the document client's unmarshall), give keyOf
// exactly the keys the worker's decoder and planner derive from the real Debezium / DynamoDB Streams events
// for the same rows: with schemas, without, and flattened by ExtractNewRecordState. The process runs in a
// non-UTC zone (drivers build local-time Dates), and the rows are read again in a second zone.
process.env['TZ'] = 'America/Los_Angeles';

import { DeleteItemCommand, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import Redis from 'ioredis';
import { planActions } from '../../../src/core/plan-actions';
import { defineKeyspace, type Keyspace } from '../../../src/keyspace';
import { createCache } from '../../../src/sdk/create-cache';
import {
  createDebeziumDecoder,
  keyspaceDecoderOptions,
} from '../../../src/sources/debezium/decode-debezium-record';
import { toLambdaRecord } from '../../../src/sources/dynamodb/create-stream-reader';
import { decodeStreamRecord } from '../../../src/sources/dynamodb/decode-stream-record';
import { connectMariaDb, connectPostgres } from '../../support/database-clients';
import { type DebeziumConnector, registerDebeziumConnector } from '../../support/debezium-connectors';
import { createStreamTable, deleteTable, dynamoDbLocalClients } from '../../support/dynamodb-local';
import { readStreamUntil } from '../../support/dynamodb-stream-reader';
import { createTopicReader, type TopicMessage, type TopicReader } from '../../support/kafka-topic-reader';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';

jest.setTimeout(240_000);

/** column -> [SQL type, declared keyspace type] */
type Columns = Readonly<Record<string, readonly [sql: string, declared: string]>>;

const PG_COLUMNS: Columns = {
  c_int: ['integer', 'integer'],
  c_big: ['bigint', 'bigint'],
  c_num: ['numeric(14,2)', 'numeric(14,2)'],
  c_float: ['double precision', 'float'],
  c_bool: ['boolean', 'boolean'],
  c_text: ['text', 'text'],
  c_uuid: ['uuid', 'uuid'],
  c_date: ['date', 'date'],
  c_time: ['time', 'time'],
  c_ts: ['timestamp', 'timestamp'],
  c_tstz: ['timestamptz', 'timestamptz'],
  c_bytes: ['bytea', 'bytes'],
};
const PG_ROWS = [
  `1, -2147483648, -9223372036854775808, -999999999999.99, -1.5e-7, false, '_cc', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '1969-07-20', '00:00:00', '1969-12-31 23:59:59.999999', '1901-12-13 20:45:52.123456+05:30', '\\x00ff'`,
  `2, 0, 0, 0.00, 0, true, 'a:b/c#d|e%{}', '00000000-0000-0000-0000-000000000000', '2024-03-10', '23:59:59.999999', '2024-11-03 01:30:00.5', '2024-03-10 02:30:00-08', '\\x80'`,
  `3, 2147483647, 9223372036854775807, 999999999999.99, 1.7976931348623157e308, true, 'é🙂 x', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '2999-12-31', '12:34:56.5', '2038-01-19 03:14:08.123456', '2024-06-30 23:59:59.999-07:00', '\\xdeadbeef'`,
];

const MARIA_COLUMNS: Columns = {
  c_int: ['INT', 'integer'],
  c_big: ['BIGINT', 'bigint'],
  c_num: ['DECIMAL(14,2)', 'numeric(14,2)'],
  c_float: ['DOUBLE', 'float'],
  c_bool: ['BOOLEAN', 'boolean'],
  c_text: ['VARCHAR(100) CHARACTER SET utf8mb4', 'text'],
  c_uuid: ['CHAR(36)', 'uuid'],
  c_date: ['DATE', 'date'],
  c_time: ['TIME(6)', 'time'],
  c_ts: ['DATETIME(6)', 'timestamp(6)'],
  c_bytes: ['VARBINARY(16)', 'bytes'],
};
// mysql2's defaults return BIGINT as a (lossy beyond 2^53) number: the edges stay within 2^53 here; keyOf
// refuses a larger number (see the unit tests).
const MARIA_ROWS = [
  `1, -2147483648, -9007199254740991, -999999999999.99, -1.5e-7, 0, '_cc', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '1969-07-20', '00:00:00', '1969-12-31 23:59:59.999999', X'00ff'`,
  `2, 0, 0, 0.00, 0, 1, 'a:b/c#d|e%{}', '00000000-0000-0000-0000-000000000000', '2024-03-10', '23:59:59.999999', '2024-11-03 01:30:00.5', X'80'`,
  `3, 2147483647, 9007199254740991, 999999999999.99, 1.7976931348623157e308, 1, 'é🙂 x', 'ffffffff-ffff-ffff-ffff-ffffffffffff', '2999-12-31', '12:34:56.5', '2038-01-19 03:14:08.123456', X'deadbeef'`,
];

/** One entity per key column, `<column>:{v}`, plus one with a leading placeholder. */
function keyspaceFor(table: string, columns: Columns): Keyspace {
  const declared = Object.fromEntries(Object.entries(columns).map(([column, [, type]]) => [column, type]));
  const entities: Record<string, unknown> = {};
  for (const column of Object.keys(columns)) {
    entities[column] = {
      key: `${column}:{v}`,
      ttl: '1m',
      sources: [{ table, fields: { v: column }, columns: declared }],
    };
  }
  entities['lead'] = {
    key: '{v}:lead:x',
    ttl: '1m',
    sources: [{ table, fields: { v: 'c_text' }, columns: declared }],
  };
  return defineKeyspace(entities as never);
}

const idleRedis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
afterAll(() => idleRedis.disconnect());

/** What the application's keyOf gives for each row read back through its driver: entity -> keys. */
function sdkKeys(keyspace: Keyspace, rows: readonly Record<string, unknown>[]): Record<string, string[]> {
  const cache = createCache({ redis: idleRedis, keyspace });
  const keys: Record<string, string[]> = {};
  for (const entity of keyspace.entities.values()) {
    const column = entity.sources[0]!.fields['v']!;
    const rendered = rows.map((row) => cache.keyOf(entity.name as never, { v: row[column] } as never));
    keys[entity.name] = [...new Set(rendered)].sort();
  }
  return keys;
}

/** What the worker invalidates for the captured messages: entity -> keys (deduplicated). */
function workerKeys(keyspace: Keyspace, messages: readonly TopicMessage[]): Record<string, string[]> {
  // The decoder the Kafka worker builds (run-kafka-worker.ts), from the same keyspace.
  const decode = createDebeziumDecoder(keyspaceDecoderOptions(keyspace));
  const events = messages.flatMap((message) =>
    decode({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key === null ? null : Buffer.from(message.key),
      value: message.value === null ? null : Buffer.from(message.value),
      headers: {},
    }),
  );
  const keys: Record<string, Set<string>> = {};
  for (const plan of planActions(events, { keyspace })) {
    if (plan.status !== 'planned')
      throw new Error(`the worker could not plan an event: ${JSON.stringify(plan)}`);
    for (const action of plan.actions) {
      // Delete mode: a delete, or a versioned tombstone where the change's version is known (protocol v2).
      if (action.kind !== 'delete' && action.kind !== 'tombstone') continue;
      keys[action.entity] ??= new Set();
      keys[action.entity]!.add(action.key);
    }
  }
  return Object.fromEntries(Object.entries(keys).map(([entity, set]) => [entity, [...set].sort()]));
}

const JSON_CONVERTERS = (schemas: boolean) => ({
  'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'key.converter.schemas.enable': String(schemas),
  'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
  'value.converter.schemas.enable': String(schemas),
});
const FLATTEN = {
  transforms: 'unwrap',
  'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
  'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite',
  'transforms.unwrap.add.fields': 'table,schema,db',
};

interface Mode {
  readonly name: string;
  readonly config: Readonly<Record<string, string>>;
}

interface Capture {
  readonly connectors: DebeziumConnector[];
  readonly readers: TopicReader[];
  /** Close the readers, delete the connectors (slots, publications, topics). */
  stop(): Promise<void>;
}

/**
 * One connector per mode, each with a reader on its table topic. The readers come first and create the
 * topics (a reader racing the connector's own topic creation can fail); the connectors then start in
 * parallel (they are slow to start). Whatever was started is stopped if a later step fails.
 */
async function captureModes(
  source: 'postgres' | 'mariadb',
  table: string,
  qualified: string,
  modes: readonly Mode[],
): Promise<Capture> {
  const names = modes.map(() => uniqueName(`keys_${source}`));
  const connectors: DebeziumConnector[] = [];
  const readers: TopicReader[] = [];
  const stop = async () => {
    await Promise.all(readers.map((reader) => reader.close()));
    await Promise.all(connectors.map((connector) => connector.delete()));
  };
  try {
    for (const name of names) readers.push(await createTopicReader({ topics: `${name}.${qualified}` }));
    const started = await Promise.allSettled(
      modes.map((mode, index) =>
        registerDebeziumConnector({
          source,
          tables: [table],
          name: names[index],
          config: mode.config,
          timeoutMs: 120_000,
        }),
      ),
    );
    for (const outcome of started) if (outcome.status === 'fulfilled') connectors.push(outcome.value);
    const failed = started.find((outcome) => outcome.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (error) {
    await stop();
    throw error;
  }
  return { connectors, readers, stop };
}

async function waitForRows(readers: readonly TopicReader[], count: number): Promise<void> {
  await Promise.all(
    readers.map((reader) =>
      reader.waitFor((messages) => messages.filter((m) => m.value !== null).length >= count, {
        timeoutMs: 90_000,
        description: `${count} change events`,
      }),
    ),
  );
}

describe('key round trip on the real stack (TZ=America/Los_Angeles)', () => {
  it('PostgreSQL: keyOf over node-postgres values = the worker keys from Debezium events (schemas, none, flattened)', async () => {
    // Prepare
    const table = uniqueName('keys_pg');
    const pg = await connectPostgres();
    let capture: Capture | undefined;
    try {
      const columns = Object.entries(PG_COLUMNS)
        .map(([name, [sql]]) => `${name} ${sql}`)
        .join(', ');
      await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, ${columns})`);
      await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      const keyspace = keyspaceFor(`public.${table}`, PG_COLUMNS);
      const modes: Mode[] = [
        { name: 'schemas', config: JSON_CONVERTERS(true) },
        { name: 'no schemas', config: JSON_CONVERTERS(false) },
        { name: 'flattened', config: { ...JSON_CONVERTERS(true), ...FLATTEN } },
      ];
      capture = await captureModes('postgres', table, `public.${table}`, modes);
      const { readers } = capture;
      // Act
      for (const row of PG_ROWS) await pg.query(`INSERT INTO ${table} VALUES (${row})`);
      const { rows } = await pg.query(`SELECT * FROM ${table} ORDER BY id`);
      await pg.query(`DELETE FROM ${table}`);
      await waitForRows(readers, PG_ROWS.length * 2);
      const expected = sdkKeys(keyspace, rows);

      // Assess
      expect(expected['c_date']).toEqual(['c_date:1969-07-20', 'c_date:2024-03-10', 'c_date:2999-12-31']);
      expect(expected['lead']).toContain('%5Fcc:lead:x');
      for (const [index, reader] of readers.entries()) {
        expect({ mode: modes[index]!.name, keys: workerKeys(keyspace, reader.messages) }).toEqual({
          mode: modes[index]!.name,
          keys: expected,
        });
      }
      // The same rows read in another zone give the same keys.
      process.env['TZ'] = 'Asia/Kolkata';
      const again = await connectPostgres();
      await again.query(`INSERT INTO ${table} VALUES ${PG_ROWS.map((row) => `(${row})`).join(', ')}`);
      const reread = (await again.query(`SELECT * FROM ${table} ORDER BY id`)).rows;
      await again.end();
      expect(sdkKeys(keyspace, reread)).toEqual(expected);
    } finally {
      process.env['TZ'] = 'America/Los_Angeles';
      await capture?.stop();
      await pg.query(`DROP TABLE IF EXISTS ${table}`);
      await pg.end();
    }
  });

  it('MariaDB: keyOf over mysql2 values = the worker keys from Debezium events (schemas, flattened without)', async () => {
    // Prepare
    const table = uniqueName('keys_maria');
    const { database } = stackEndpoints().mariadb;
    const maria = await connectMariaDb();
    let capture: Capture | undefined;
    try {
      const columns = Object.entries(MARIA_COLUMNS)
        .map(([name, [sql]]) => `${name} ${sql}`)
        .join(', ');
      await maria.query(`CREATE TABLE ${table} (id INT PRIMARY KEY, ${columns})`);
      const keyspace = keyspaceFor(`${database}.${table}`, MARIA_COLUMNS);
      const modes: Mode[] = [
        { name: 'schemas', config: JSON_CONVERTERS(true) },
        { name: 'flattened, no schemas', config: { ...JSON_CONVERTERS(false), ...FLATTEN } },
      ];
      capture = await captureModes('mariadb', table, `${database}.${table}`, modes);
      const { readers } = capture;
      // Act
      for (const row of MARIA_ROWS) await maria.query(`INSERT INTO ${table} VALUES (${row})`);
      const [rows] = await maria.query(`SELECT * FROM ${table} ORDER BY id`);
      await maria.query(`DELETE FROM ${table}`);
      await waitForRows(readers, MARIA_ROWS.length * 2);
      const expected = sdkKeys(keyspace, rows as Record<string, unknown>[]);

      // Assess
      expect(expected['c_ts']).toContain('c_ts:1969-12-31T23%3A59%3A59.999');
      for (const [index, reader] of readers.entries()) {
        expect({ mode: modes[index]!.name, keys: workerKeys(keyspace, reader.messages) }).toEqual({
          mode: modes[index]!.name,
          keys: expected,
        });
      }
    } finally {
      await capture?.stop();
      await maria.query(`DROP TABLE IF EXISTS ${table}`);
      await maria.end();
    }
  });

  it('DynamoDB Local: keyOf over document-client values (numbers, NumberValue, bytes, booleans) = the worker keys from the stream', async () => {
    // Prepare
    const clients = dynamoDbLocalClients();
    const tableName = uniqueName('keys_ddb');
    try {
      const { streamArn } = await createStreamTable(clients.dynamodb, { tableName });
      const keyspace = defineKeyspace({
        n: { key: 'n:{n}', ttl: '1m', sources: [{ dynamodb: tableName }] },
        b: { key: 'b:{b}', ttl: '1m', sources: [{ dynamodb: tableName }] },
        flag: { key: 'flag:{flag}', ttl: '1m', sources: [{ dynamodb: tableName }] },
        s: { key: '{s}:s:x', ttl: '1m', sources: [{ dynamodb: tableName }] },
      });
      const numbers = [
        '0.0000001',
        '1E-7',
        '-12.50',
        '0',
        '123456789012345678901234567890',
        '1.5e+20',
        '-0.000123',
      ];
      // Act
      for (const [index, n] of numbers.entries()) {
        await clients.dynamodb.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: { S: `item-${index}` },
              n: { N: n },
              b: { B: Uint8Array.from([index, 0xff, 0x00]) },
              flag: { BOOL: index % 2 === 0 },
              s: { S: index === 0 ? '_cc' : `s:${index}` },
            },
          }),
        );
      }
      const read = await Promise.all(
        numbers.map((_n, index) =>
          clients.dynamodb.send(
            new GetItemCommand({ TableName: tableName, Key: { pk: { S: `item-${index}` } } }),
          ),
        ),
      );
      for (const index of numbers.keys()) {
        await clients.dynamodb.send(
          new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: `item-${index}` } } }),
        );
      }
      const records = await readStreamUntil(
        clients.streams,
        streamArn,
        (r) => r.filter((x) => x.eventName === 'REMOVE').length >= numbers.length,
        { timeoutMs: 60_000 },
      );
      const events = records.map((record) =>
        decodeStreamRecord(toLambdaRecord(record, streamArn, 'us-east-1')),
      );
      const worker: Record<string, Set<string>> = {};
      for (const plan of planActions(events, { keyspace })) {
        if (plan.status !== 'planned') throw new Error(`could not plan: ${JSON.stringify(plan)}`);
        for (const action of plan.actions) {
          const entity = action.kind === 'delete' ? action.entity : 'other';
          worker[entity] ??= new Set();
          worker[entity]!.add(action.key);
        }
      }
      const cache = createCache({ redis: idleRedis, keyspace });
      const items = read.map((output) => output.Item!);
      // The document client's two forms: plain numbers (default, where exact) and NumberValue (wrapNumbers).
      const plainItems = items
        .filter((item) => Number.isSafeInteger(Number(item['n']!.N)) || !/^-?\d+$/.test(item['n']!.N!))
        .map((item) => unmarshall(item));
      const wrapped = items.map((item) => unmarshall(item, { wrapNumbers: true }));
      const keysOf = (entity: string, rows: Record<string, unknown>[]) =>
        new Set(rows.map((row) => cache.keyOf(entity as never, row as never)));

      // Assess
      expect(keysOf('n', wrapped)).toEqual(worker['n']);
      expect([...keysOf('n', plainItems)].every((key) => worker['n']!.has(key))).toBe(true);
      expect(worker['n']).toContain('n:0.0000001');
      expect(keysOf('b', wrapped)).toEqual(worker['b']);
      expect(keysOf('flag', wrapped)).toEqual(worker['flag']);
      expect(keysOf('s', wrapped)).toEqual(worker['s']);
      expect(worker['s']).toContain('%5Fcc:s:x');
    } finally {
      await deleteTable(clients.dynamodb, tableName);
      clients.destroy();
    }
  });
});
