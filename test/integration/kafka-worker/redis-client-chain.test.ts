// `cdc-cache worker kafka` with node-redis and Valkey GLIDE as its Redis client (CDC_CACHE_REDIS_CLIENT), on
// standalone Redis and on Redis Cluster: PostgreSQL → Debezium → Kafka → worker (the real CLI) → Redis.
// One connector feeds every worker; each has its own consumer group and key prefix.
import { Cluster, Redis } from 'ioredis';
import { type Cache, createCache, keyspaceFromData } from '../../../src';
import { stackEndpoints } from '../../support/stack-endpoints';
import {
  BROKERS,
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

jest.setTimeout(180_000);

const { nodes } = stackEndpoints().redisCluster;
const users = uniqueName('users');
const entities = {
  user: { key: 'user:{id}', ttl: '10m', sources: [{ table: `public.${users}` }] },
  userByEmail: { key: 'user-by-email:{email}', ttl: '10m', sources: [{ table: `public.${users}` }] },
};
const cases = [
  { client: 'node-redis', cluster: false },
  { client: 'glide', cluster: false },
  { client: 'node-redis', cluster: true },
  { client: 'glide', cluster: true },
] as const;
const ROWS = 12;

interface Running {
  readonly worker: WorkerProcess;
  readonly cache: Cache;
}

const standalone = new Redis(REDIS_URL);
const cluster = new Cluster([...nodes]);
const running = new Map<(typeof cases)[number], Running>();
let connector: TestConnector;

beforeAll(async () => {
  await pgQuery(`CREATE TABLE ${users} (id int PRIMARY KEY, email text NOT NULL)`);
  await pgQuery(`ALTER TABLE ${users} REPLICA IDENTITY FULL`);
  connector = await startPostgresConnector([users]);
  await pgQuery(
    `INSERT INTO ${users} SELECT i, 'u' || i || '@example.com' FROM generate_series(1, ${ROWS}) AS i`,
  );
  await waitForTopic(connector.topic(users));
  const keyspacePath = writeKeyspace(entities);
  await Promise.all(
    cases.map(async (testCase) => {
      const prefix = `${uniqueName(`kc-${testCase.client}`)}:`;
      const port = await freePort();
      const seed = testCase.cluster ? `redis://${nodes[0]!.host}:${nodes[0]!.port}` : REDIS_URL;
      const worker = spawnWorker({
        CDC_CACHE_KEYSPACE: keyspacePath,
        CDC_CACHE_KEY_PREFIX: prefix,
        CDC_CACHE_REDIS_URL: seed,
        CDC_CACHE_REDIS_CLUSTER: String(testCase.cluster),
        CDC_CACHE_REDIS_CLIENT: testCase.client,
        CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
        CDC_CACHE_KAFKA_TOPICS: connector.topic(users),
        CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
        CDC_CACHE_HTTP_PORT: String(port),
      });
      const cache = createCache({
        redis: testCase.cluster ? cluster : standalone,
        keyspace: keyspaceFromData({ entities }),
        prefix,
        commandTimeout: '5s',
      });
      running.set(testCase, { worker, cache });
      await waitUntilReady(port, worker);
      // The inserts above reach the worker first: caching before that would race them.
      await waitUntilConsumed(port, ROWS, worker);
    }),
  );
}, 300_000);

afterAll(async () => {
  for (const { worker } of running.values()) worker.child.kill('SIGTERM');
  await Promise.all([...running.values()].map(({ worker }) => worker.exited));
  for (const { cache } of running.values()) await cache.close();
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${users}`);
  standalone.disconnect();
  await cluster.quit();
}, 120_000);

describe('worker kafka with another Redis client library', () => {
  it('every worker invalidates the changed rows and their old secondary keys', async () => {
    // Prepare: every user and its email key cached under each worker's prefix
    const ids = Array.from({ length: ROWS }, (_, index) => index + 1);
    for (const { cache } of running.values()) {
      await Promise.all(ids.map((id) => cache.get('user', { id }, async () => ({ id }))));
      await Promise.all(
        ids.map((id) => cache.get('userByEmail', { email: `u${id}@example.com` }, async () => ({ id }))),
      );
      expect(await cache.peek('user', { id: ROWS })).toEqual({ id: ROWS });
    }
    // Each worker runs the library it was given (its start log names the client of its Redis port)
    for (const [testCase, { worker }] of running)
      expect(worker.output()).toContain(`"redisClient":"${testCase.client}"`);

    // Act
    await pgQuery(`UPDATE ${users} SET email = 'x' || id || '@example.com'`);

    // Assess
    for (const [testCase, { cache, worker }] of running) {
      await waitFor(
        async () => {
          const left = await Promise.all([
            ...ids.map((id) => cache.peek('user', { id })),
            ...ids.map((id) => cache.peek('userByEmail', { email: `u${id}@example.com` })),
          ]);
          return left.every((value) => value === undefined);
        },
        {
          timeoutMs: 60_000,
          description: `${testCase.client}${testCase.cluster ? ' on Cluster' : ''}: every key invalidated\n${worker.output().slice(-2000)}`,
        },
      );
    }
  });
});
