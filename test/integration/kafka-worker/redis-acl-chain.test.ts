// The worker authenticating to Redis with an ACL user (CDC_CACHE_REDIS_USERNAME / CDC_CACHE_REDIS_PASSWORD),
// against a throwaway redis-server whose default user is disabled.
import { type ChildProcess, spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { createCache, keyspaceFromData } from '../../../src';
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

const users = uniqueName('users');
const entities = { user: { key: 'user:{id}', ttl: '10m', sources: [{ table: `public.${users}` }] } };
const password = uniqueName('secret');

let redis: ChildProcess;
let redisPort: number;
let connector: TestConnector;
let worker: WorkerProcess;

beforeAll(async () => {
  redisPort = await freePort();
  // The default user is off: only `cdc` with its password gets in.
  redis = spawn(
    'redis-server',
    // biome-ignore format: one ACL rule per argument
    ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--user', 'default', 'off', '--user', 'cdc', 'on', `>${password}`, '~*', '&*', '+@all'],
    { stdio: 'ignore' },
  );
  await waitFor(
    async () => {
      const probe = new Redis({
        port: redisPort,
        username: 'cdc',
        password,
        lazyConnect: true,
        maxRetriesPerRequest: 0,
      });
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } finally {
        probe.disconnect();
      }
    },
    { description: 'the ACL redis-server answering' },
  );
  await pgQuery(`CREATE TABLE ${users} (id int PRIMARY KEY, name text)`);
  connector = await startPostgresConnector([users]);
  await pgQuery(`INSERT INTO ${users} VALUES (1, 'Ann')`);
  await waitForTopic(connector.topic(users));
  const httpPort = await freePort();
  worker = spawnWorker({
    CDC_CACHE_KEYSPACE: writeKeyspace(entities),
    CDC_CACHE_REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    CDC_CACHE_REDIS_USERNAME: 'cdc',
    CDC_CACHE_REDIS_PASSWORD: password,
    CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
    CDC_CACHE_KAFKA_TOPICS: connector.topic(users),
    CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
    CDC_CACHE_HTTP_PORT: String(httpPort),
  });
  await waitUntilReady(httpPort, worker);
  // The rows inserted above reach the worker first: caching them before that would race their inserts.
  await waitUntilConsumed(httpPort, 1, worker);
}, 180_000);

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${users}`);
  redis?.kill('SIGTERM');
}, 120_000);

describe('worker kafka with a Redis ACL user', () => {
  it('authenticates with the configured user and password, and never logs the password', async () => {
    // Prepare
    const cache = createCache({
      redis: `redis://cdc:${password}@127.0.0.1:${redisPort}`,
      keyspace: keyspaceFromData({ entities }),
    });
    await cache.get('user', { id: 1 }, async () => ({ id: 1, name: 'Ann' }));
    expect(await cache.peek('user', { id: 1 })).toEqual({ id: 1, name: 'Ann' });

    // Act
    await pgQuery(`UPDATE ${users} SET name = 'Anne' WHERE id = 1`);

    // Assess
    await waitFor(async () => (await cache.peek('user', { id: 1 })) === undefined, {
      timeoutMs: 45_000,
      description: 'user 1 invalidated through the ACL user',
    });
    expect(worker.output()).toContain('"redisPassword":"[redacted]"');
    expect(worker.output()).not.toContain(password);
    await cache.close();
  });
});
