// The worker authenticates with SASL/SCRAM-SHA-512 to the stack broker's SASL listener (a real login, with a
// user made through the admin API), and exits on a wrong password instead of retrying it as an outage.
import { randomBytes } from 'node:crypto';
import { createCache, keyspaceFromData } from '../../../src';
import { createScramUser } from '../../support/kafka-scram-user';
import { stackEndpoints } from '../../support/stack-endpoints';
import {
  BROKERS,
  deleteTopics,
  freePort,
  pgQuery,
  REDIS_URL,
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

const SASL_BROKERS = stackEndpoints().kafka.saslBrokers.join(',');
const table = uniqueName('scram');
const prefix = `${uniqueName('scram')}:`;
const user = uniqueName('worker');
const password = randomBytes(12).toString('hex');
const entities = { item: { key: 'item:{id}', ttl: '10m', sources: [{ table: `public.${table}` }] } };
const cache = createCache({ redis: REDIS_URL, keyspace: keyspaceFromData({ entities }), prefix });
let connector: TestConnector;
let worker: WorkerProcess | undefined;

const workerEnv = (secret: string, httpPort: number) => ({
  CDC_CACHE_KEYSPACE: writeKeyspace(entities),
  CDC_CACHE_KEY_PREFIX: prefix,
  CDC_CACHE_REDIS_URL: REDIS_URL,
  CDC_CACHE_KAFKA_BROKERS: SASL_BROKERS,
  CDC_CACHE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
  CDC_CACHE_KAFKA_SASL_USERNAME: user,
  CDC_CACHE_KAFKA_SASL_PASSWORD: secret,
  CDC_CACHE_KAFKA_TOPICS: connector.topic(table),
  CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
  CDC_CACHE_DLQ_TOPIC: uniqueName('dlq'),
  CDC_CACHE_HTTP_PORT: String(httpPort),
});

beforeAll(async () => {
  await createScramUser(BROKERS[0]!, user, password);
  await pgQuery(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)`);
  connector = await startPostgresConnector([table]);
  await pgQuery(`INSERT INTO ${table} (id) VALUES (1)`);
  await waitForTopic(connector.topic(table));
}, 180_000);

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  await deleteTopics([connector.topic(table)]);
  await cache.close();
}, 120_000);

describe('worker kafka over SASL/SCRAM-SHA-512', () => {
  it('exits with an authentication error when the password is wrong', async () => {
    // Act
    const refused = spawnWorker(workerEnv('not-the-password', await freePort()));
    const code = await refused.exited;

    // Assess: a failed login is not retried as "Kafka not there yet", and the password is not logged
    expect(code).not.toBe(0);
    expect(refused.output()).toMatch(/SASL authentication failed/);
    expect(refused.output()).not.toContain('not-the-password');
  });

  it('logs in with SCRAM and invalidates a cached row after an UPDATE', async () => {
    // Prepare
    const httpPort = await freePort();
    worker = spawnWorker(workerEnv(password, httpPort));
    await waitUntilReady(httpPort, worker);
    await waitUntilConsumed(httpPort, 1, worker);
    await cache.get('item', { id: 1 }, async () => ({ id: 1, v: 0 }));
    expect(await cache.peek('item', { id: 1 })).toEqual({ id: 1, v: 0 });

    // Act
    await pgQuery(`UPDATE ${table} SET v = 1 WHERE id = 1`);

    // Assess
    await waitFor(async () => (await cache.peek('item', { id: 1 })) === undefined, {
      timeoutMs: 45_000,
      description: 'item 1 invalidated by the SCRAM-authenticated worker',
    });
  });
});
