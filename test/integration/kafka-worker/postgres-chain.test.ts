// PostgreSQL → Kafka Connect (Debezium) → Kafka → `cdc-cache worker kafka` (a real child process) → Redis.
import { createCache, keyspaceFromData } from '../../../src';
import {
  BROKERS,
  createTopic,
  deleteTopics,
  freePort,
  pgQuery,
  produce,
  REDIS_URL,
  readTopic,
  spawnWorker,
  startPostgresConnector,
  type TestConnector,
  uniqueName,
  type WorkerProcess,
  waitFor,
  waitForTopic,
  waitUntilConsumed,
  waitUntilReady,
  writeKeyspace,
} from './kafka-chain';

jest.setTimeout(120_000);

const users = uniqueName('users');
const products = uniqueName('products');
const lateTable = uniqueName('late');
const prefix = `${uniqueName('kw')}:`;
const dlqTopic = uniqueName('dlq');
const entities = {
  user: { key: 'user:{id}', ttl: '10m', sources: [{ table: `public.${users}` }] },
  userByEmail: { key: 'user-by-email:{email}', ttl: '10m', sources: [{ table: `public.${users}` }] },
  product: { key: 'product:{sku}', ttl: '10m', mode: 'refresh', sources: [{ table: `public.${products}` }] },
  late: { key: 'late:{id}', ttl: '10m', sources: [{ table: `public.${lateTable}` }] },
};
const cache = createCache({ redis: REDIS_URL, keyspace: keyspaceFromData({ entities }), prefix });

let connector: TestConnector;
let worker: WorkerProcess;
let httpPort: number;

/** Fill an entry through the SDK, as a read service would, and check it is cached. */
async function fill(entity: keyof typeof entities, params: Record<string, unknown>, value: unknown) {
  await cache.get(entity, params as never, async () => value);
  expect(await cache.peek(entity, params as never)).toEqual(value);
}

async function gone(entity: keyof typeof entities, params: Record<string, unknown>, description: string) {
  await waitFor(async () => (await cache.peek(entity, params as never)) === undefined, {
    timeoutMs: 45_000,
    description,
  });
}

beforeAll(async () => {
  await pgQuery(`CREATE TABLE ${users} (id int PRIMARY KEY, email text NOT NULL, name text)`);
  // The old email must be in the change event for its key to be dropped on update and delete.
  await pgQuery(`ALTER TABLE ${users} REPLICA IDENTITY FULL`);
  await pgQuery(
    `CREATE TABLE ${products} (sku text PRIMARY KEY, name text NOT NULL, price numeric(10,2) NOT NULL)`,
  );
  connector = await startPostgresConnector([users, products]);
  await pgQuery(
    `INSERT INTO ${users} VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@example.com', 'Bob'), (3, 'cy@example.com', 'Cy')`,
  );
  await pgQuery(`INSERT INTO ${products} VALUES ('A-1', 'Lamp', 12.50)`);
  await waitForTopic(connector.topic(users));
  await waitForTopic(connector.topic(products));
  await createTopic(dlqTopic, 1);
  httpPort = await freePort();
  worker = spawnWorker({
    CDC_CACHE_KEYSPACE: writeKeyspace(entities),
    CDC_CACHE_KEY_PREFIX: prefix,
    CDC_CACHE_REDIS_URL: REDIS_URL,
    CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
    CDC_CACHE_KAFKA_TOPIC_PATTERN: `^${connector.topicPrefix}\\.public\\..*`,
    CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
    CDC_CACHE_DLQ_TOPIC: dlqTopic,
    CDC_CACHE_HTTP_PORT: String(httpPort),
    CDC_CACHE_KAFKA_TOPIC_REFRESH_MS: '1000',
  });
  await waitUntilReady(httpPort, worker);
  // The rows inserted above reach the worker first: caching them before that would race their inserts.
  await waitUntilConsumed(httpPort, 4, worker);
}, 180_000);

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${users}, ${products}`);
  await deleteTopics([connector.topic(users), connector.topic(products), dlqTopic]);
  await cache.close();
}, 120_000);

describe('worker kafka on PostgreSQL', () => {
  it('invalidates a cached row after UPDATE and after DELETE', async () => {
    // Prepare
    await fill('user', { id: 1 }, { id: 1, name: 'Ann' });

    // Act
    await pgQuery(`UPDATE ${users} SET name = 'Anne' WHERE id = 1`);

    // Assess
    await gone('user', { id: 1 }, 'user 1 invalidated after UPDATE');

    await fill('user', { id: 1 }, { id: 1, name: 'Anne' });
    await pgQuery(`DELETE FROM ${users} WHERE id = 1`);
    await gone('user', { id: 1 }, 'user 1 invalidated after DELETE');
  });

  it('drops the old secondary key when the email changes', async () => {
    await fill('userByEmail', { email: 'bob@example.com' }, { id: 2 });

    await pgQuery(`UPDATE ${users} SET email = 'robert@example.com' WHERE id = 2`);

    await gone('userByEmail', { email: 'bob@example.com' }, 'old email key dropped');
  });

  it('writes the new image of a refresh-mode entity', async () => {
    await fill('product', { sku: 'A-1' }, { sku: 'A-1', name: 'Lamp', price: '12.50' });

    await pgQuery(`UPDATE ${products} SET price = 14.00 WHERE sku = 'A-1'`);

    await waitFor(
      async () => {
        const cached = (await cache.peek('product', { sku: 'A-1' })) as { price?: string } | undefined;
        return cached?.price === '14.00' ? cached : undefined;
      },
      { timeoutMs: 45_000, description: 'product A-1 refreshed with price 14.00' },
    );
    expect(await cache.peek('product', { sku: 'A-1' })).toEqual({ sku: 'A-1', name: 'Lamp', price: '14.00' });
  });

  it('dead-letters garbage bytes and malformed envelopes without stopping the partitions', async () => {
    // Prepare: poison on every partition, ahead of a real change
    const topic = connector.topic(users);
    const poison = [0, 1, 2].flatMap((partition) => [
      {
        partition,
        key: 'garbage',
        value: Buffer.from([0xc3, 0x28, 0xff, 0x00]),
        // A repeated header: the dead letter keeps both values, in order.
        headers: { origin: ['test', 'again'] },
      },
      {
        partition,
        key: '{"id":-1}',
        value: JSON.stringify({
          op: 'u',
          after: null,
          source: { connector: 'postgresql', schema: 'public', table: users, lsn: 1 },
        }),
      },
    ]);
    await produce(topic, poison);
    await fill('user', { id: 3 }, { id: 3, name: 'Cy' });

    // Act
    await pgQuery(`UPDATE ${users} SET name = 'Cyd' WHERE id = 3`);

    // Assess: the change after the poison is applied, and every poison record is in the DLQ with its context
    await gone('user', { id: 3 }, 'user 3 invalidated after the poison records');
    const letters = await readTopic(dlqTopic, 6);
    const ours = letters.filter((letter) => letter.headers['cdc-cache.dlq.topic']?.[0] === topic);
    expect(ours).toHaveLength(6);
    const garbage = ours.filter((letter) => letter.key === 'garbage');
    expect(garbage.map((letter) => letter.valueBytes)).toEqual(
      [0, 1, 2].map(() => Buffer.from([0xc3, 0x28, 0xff, 0x00])),
    );
    expect(garbage[0]!.headers['origin']).toEqual(['test', 'again']);
    expect(garbage[0]!.headers['cdc-cache.dlq.error.code']).toEqual(['CDC_DECODE_FAILED']);
    expect(new Set(ours.map((letter) => letter.headers['cdc-cache.dlq.partition']?.[0]))).toEqual(
      new Set(['0', '1', '2']),
    );
    const malformed = ours.find((letter) => letter.key === '{"id":-1}')!;
    expect(malformed.headers['cdc-cache.dlq.error.message']?.[0]).toContain("without an 'after' image");
    expect(malformed.headers['cdc-cache.dlq.offset']?.[0]).toMatch(/^\d+$/);
    expect(malformed.headers['cdc-cache.dlq.runtime']).toEqual(['kafka-worker']);
  });

  it('picks up a topic that starts matching the pattern after the worker started', async () => {
    // Prepare: a table's topic appears later (a table added to the connector)
    const topic = `${connector.topicPrefix}.public.${lateTable}`;
    await fill('late', { id: 7 }, { id: 7 });
    await createTopic(topic, 1);

    // Act
    await produce(topic, [
      {
        key: JSON.stringify({ id: 7 }),
        value: JSON.stringify({
          op: 'u',
          before: { id: 7 },
          after: { id: 7 },
          source: { connector: 'postgresql', schema: 'public', table: lateTable, lsn: 99, ts_ms: Date.now() },
        }),
      },
    ]);

    // Assess
    await gone('late', { id: 7 }, 'the change on the new topic applied');
    expect(worker.output()).toContain('new topics match the pattern');
    await deleteTopics([topic]);
  });

  it('serves /metrics with consumed, applied, dead-lettered and lag', async () => {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    expect(text).toMatch(
      /cdc_cache_records_total\{runtime="kafka-worker",source="public\.[^"]+",result="applied"\} [1-9]/,
    );
    // A record that cannot be decoded names no table: `other`, as does any table outside the keyspace.
    expect(text).toMatch(
      /cdc_cache_records_total\{runtime="kafka-worker",source="other",result="dead_lettered"\} 6/,
    );
    expect(text).toContain('cdc_cache_kafka_consumer_lag{');
    expect(text).toContain('cdc_cache_batch_duration_seconds_bucket{le="0.001",runtime="kafka-worker"}');
  });
});
