// The worker on Redis Cluster (CDC_CACHE_REDIS_CLUSTER=true): PostgreSQL → Debezium → Kafka → worker → cluster.
import { Cluster } from 'ioredis';
import { createCache, keyspaceFromData } from '../../../src';
import { stackEndpoints } from '../../support/stack-endpoints';
import {
  BROKERS,
  freePort,
  pgQuery,
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

const { nodes } = stackEndpoints().redisCluster;
const users = uniqueName('users');
const prefix = `${uniqueName('kwc')}:`;
const entities = {
  user: { key: 'user:{id}', ttl: '10m', sources: [{ table: `public.${users}` }] },
  userByEmail: { key: 'user-by-email:{email}', ttl: '10m', sources: [{ table: `public.${users}` }] },
};
const cluster = new Cluster([...nodes]);
// A generous command timeout: the preparation fills must not fail open while the cluster client warms up.
const cache = createCache({
  redis: cluster,
  keyspace: keyspaceFromData({ entities }),
  prefix,
  commandTimeout: '5s',
});

let connector: TestConnector;
let worker: WorkerProcess;

beforeAll(async () => {
  await pgQuery(`CREATE TABLE ${users} (id int PRIMARY KEY, email text NOT NULL)`);
  await pgQuery(`ALTER TABLE ${users} REPLICA IDENTITY FULL`);
  connector = await startPostgresConnector([users]);
  await pgQuery(`INSERT INTO ${users} SELECT i, 'u' || i || '@example.com' FROM generate_series(1, 30) AS i`);
  await waitForTopic(connector.topic(users));
  const port = await freePort();
  worker = spawnWorker({
    CDC_CACHE_KEYSPACE: writeKeyspace(entities),
    CDC_CACHE_KEY_PREFIX: prefix,
    CDC_CACHE_REDIS_URL: `redis://${nodes[0]!.host}:${nodes[0]!.port}`,
    CDC_CACHE_REDIS_CLUSTER: 'true',
    CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
    CDC_CACHE_KAFKA_TOPICS: connector.topic(users),
    CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
    CDC_CACHE_HTTP_PORT: String(port),
  });
  await waitUntilReady(port, worker);
  // The rows inserted above reach the worker first: caching them before that would race their inserts.
  await waitUntilConsumed(port, 30, worker);
}, 180_000);

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${users}`);
  await cache.close();
  await cluster.quit();
}, 120_000);

describe('worker kafka on Redis Cluster', () => {
  it('invalidates keys spread over every node, old secondary keys included', async () => {
    // Prepare: 30 users and their email keys, which hash to slots on all three masters
    const ids = Array.from({ length: 30 }, (_, index) => index + 1);
    await Promise.all(ids.map((id) => cache.get('user', { id }, async () => ({ id }))));
    await Promise.all(
      ids.map((id) => cache.get('userByEmail', { email: `u${id}@example.com` }, async () => ({ id }))),
    );

    expect(await cache.peek('user', { id: 30 })).toEqual({ id: 30 });
    expect(await cache.peek('userByEmail', { email: 'u30@example.com' })).toEqual({ id: 30 });
    const slots = await Promise.all(ids.map((id) => cluster.cluster('KEYSLOT', cache.keyOf('user', { id }))));
    const masters = new Set(slots.map((slot) => cluster.slots[Number(slot)]?.[0]));
    expect(masters.size).toBe(nodes.length);

    // Act
    await pgQuery(`UPDATE ${users} SET email = 'x' || id || '@example.com'`);

    // Assess
    await waitFor(
      async () => {
        const left = await Promise.all([
          ...ids.map((id) => cache.peek('user', { id })),
          ...ids.map((id) => cache.peek('userByEmail', { email: `u${id}@example.com` })),
        ]);
        return left.every((value) => value === undefined);
      },
      { timeoutMs: 45_000, description: 'every user and old email key invalidated on the cluster' },
    );
  });
});
