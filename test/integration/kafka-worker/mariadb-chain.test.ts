// MariaDB → Kafka Connect (Debezium) → Kafka → `cdc-cache worker kafka` (a real child process) → Redis.
import { createCache, keyspaceFromData } from '../../../src';
import {
  BROKERS,
  createTopic,
  deleteTopics,
  freePort,
  mariaQuery,
  REDIS_URL,
  spawnWorker,
  startMariaDbConnector,
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

const database = 'cdc_cache_test';
const users = uniqueName('users');
const products = uniqueName('products');
const prefix = `${uniqueName('kwm')}:`;
const dlqTopic = uniqueName('dlq');
const entities = {
  user: { key: 'user:{id}', ttl: '10m', sources: [{ table: `${database}.${users}` }] },
  userByEmail: { key: 'user-by-email:{email}', ttl: '10m', sources: [{ table: `${database}.${users}` }] },
  product: {
    key: 'product:{sku}',
    ttl: '10m',
    mode: 'refresh',
    sources: [{ table: `${database}.${products}` }],
  },
};
const cache = createCache({ redis: REDIS_URL, keyspace: keyspaceFromData({ entities }), prefix });

let connector: TestConnector;
let worker: WorkerProcess;

async function fill(
  entity: 'user' | 'userByEmail' | 'product',
  params: Record<string, unknown>,
  value: unknown,
) {
  await cache.get(entity, params as never, async () => value);
  expect(await cache.peek(entity, params as never)).toEqual(value);
}

async function gone(
  entity: 'user' | 'userByEmail' | 'product',
  params: Record<string, unknown>,
  description: string,
) {
  await waitFor(async () => (await cache.peek(entity, params as never)) === undefined, {
    timeoutMs: 45_000,
    description,
  });
}

beforeAll(async () => {
  await mariaQuery(
    `CREATE TABLE ${users} (id INT PRIMARY KEY, email VARCHAR(200) NOT NULL, name VARCHAR(200))`,
  );
  await mariaQuery(
    `CREATE TABLE ${products} (sku VARCHAR(40) PRIMARY KEY, name VARCHAR(200) NOT NULL, price DECIMAL(10,2) NOT NULL)`,
  );
  connector = await startMariaDbConnector([users, products]);
  await mariaQuery(
    `INSERT INTO ${users} VALUES (1, 'ann@example.com', 'Ann'), (2, 'bob@example.com', 'Bob')`,
  );
  await mariaQuery(`INSERT INTO ${products} VALUES ('A-1', 'Lamp', 12.50)`);
  await waitForTopic(connector.topic(users));
  await waitForTopic(connector.topic(products));
  await createTopic(dlqTopic, 1);
  const port = await freePort();
  worker = spawnWorker({
    CDC_CACHE_KEYSPACE: writeKeyspace(entities),
    CDC_CACHE_KEY_PREFIX: prefix,
    CDC_CACHE_REDIS_URL: REDIS_URL,
    CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
    CDC_CACHE_KAFKA_TOPICS: `${connector.topic(users)},${connector.topic(products)}`,
    CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
    CDC_CACHE_DLQ_TOPIC: dlqTopic,
    CDC_CACHE_HTTP_PORT: String(port),
  });
  await waitUntilReady(port, worker);
  // The rows inserted above reach the worker first: caching them before that would race their inserts.
  await waitUntilConsumed(port, 3, worker);
}, 180_000);

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connector?.remove();
  await mariaQuery(`DROP TABLE IF EXISTS ${users}, ${products}`);
  await deleteTopics([
    connector.topic(users),
    connector.topic(products),
    connector.topicPrefix,
    `${connector.topicPrefix}.schema-history`,
    dlqTopic,
  ]);
  await cache.close();
}, 120_000);

describe('worker kafka on MariaDB', () => {
  it('invalidates a cached row after UPDATE and after DELETE', async () => {
    // Prepare
    await fill('user', { id: 1 }, { id: 1, name: 'Ann' });

    // Act
    await mariaQuery(`UPDATE ${users} SET name = 'Anne' WHERE id = 1`);

    // Assess
    await gone('user', { id: 1 }, 'user 1 invalidated after UPDATE');

    await fill('user', { id: 1 }, { id: 1, name: 'Anne' });
    await mariaQuery(`DELETE FROM ${users} WHERE id = 1`);
    await gone('user', { id: 1 }, 'user 1 invalidated after DELETE');
  });

  it('drops the old secondary key when the email changes', async () => {
    await fill('userByEmail', { email: 'bob@example.com' }, { id: 2 });

    await mariaQuery(`UPDATE ${users} SET email = 'robert@example.com' WHERE id = 2`);

    await gone('userByEmail', { email: 'bob@example.com' }, 'old email key dropped');
  });

  it('writes the new image of a refresh-mode entity', async () => {
    await fill('product', { sku: 'A-1' }, { sku: 'A-1', name: 'Lamp', price: '12.50' });

    await mariaQuery(`UPDATE ${products} SET price = 14.00 WHERE sku = 'A-1'`);

    await waitFor(
      async () =>
        ((await cache.peek('product', { sku: 'A-1' })) as { price?: string } | undefined)?.price === '14.00',
      { timeoutMs: 45_000, description: 'product A-1 refreshed with price 14.00' },
    );
    expect(await cache.peek('product', { sku: 'A-1' })).toEqual({ sku: 'A-1', name: 'Lamp', price: '14.00' });
  });
});
