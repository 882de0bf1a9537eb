// `cdc-cache worker dynamodb` with node-redis and Valkey GLIDE as its own client (CDC_CACHE_REDIS_CLIENT):
// the real worker (options parsed from the environment, its Redis opened by createWorkerRedis) on DynamoDB
// Local, and a Redis outage on a throwaway redis-server of this test (never the shared one).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import { createCache, keyspaceFromData } from '../../../src/index';
import { dynamodbWorkerConfigSchema, runDynamoDbWorker } from '../../../src/runtimes/dynamodb-worker';
import { type ConfigValues, resolveConfig } from '../../../src/runtimes/shared/config-schema';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';
import { dynamodbStreamFixture } from './dynamodb-stream-fixture';

const fixture = dynamodbStreamFixture();
const clients = ['node-redis', 'glide'] as const;
const open: Array<() => Promise<void>> = [];

jest.setTimeout(120_000);

// The worker's AWS SDK clients read their credentials from this process's environment (DynamoDB Local's).
beforeAll(() => {
  process.env.AWS_ACCESS_KEY_ID = fixture.childEnv.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = fixture.childEnv.AWS_SECRET_ACCESS_KEY;
});

afterEach(async () => {
  for (const close of open.splice(0).reverse()) await close().catch(() => undefined);
});

afterAll(async () => {
  await fixture.close();
});

/** The real worker, configured the way the CLI is: from environment variables. */
async function startWorker(table: string, env: Record<string, string>) {
  const data = {
    entities: {
      product: { key: 'product:{sku}', ttl: '5m', sources: [{ dynamodb: table, fields: { sku: 'pk' } }] },
    },
  };
  const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-ddb-clients-'));
  writeFileSync(join(directory, 'keyspace.json'), JSON.stringify(data));
  const prefix = `${uniqueName('clients')}:`;
  const resolved = resolveConfig(dynamodbWorkerConfigSchema, {
    env: {
      ...fixture.childEnv,
      CDC_CACHE_KEYSPACE: join(directory, 'keyspace.json'),
      CDC_CACHE_DYNAMODB_TABLE: table,
      CDC_CACHE_KEY_PREFIX: prefix,
      CDC_CACHE_DYNAMODB_IDLE_MS: '50',
      CDC_CACHE_DYNAMODB_LEASE_MS: '2000',
      CDC_CACHE_DYNAMODB_DISCOVERY_MS: '300',
      CDC_CACHE_RETRY_MAX_MS: '500',
      CDC_CACHE_HTTP_PORT: '0',
      ...env,
    },
    configFile: false,
  });
  const config = (resolved as { values: ConfigValues<typeof dynamodbWorkerConfigSchema> }).values;
  const worker = await runDynamoDbWorker(config, { logger: pino({ level: 'silent' }) });
  open.push(() => worker.stop());
  const ready = async () =>
    (await fetch(`http://127.0.0.1:${worker.httpPort}/readyz`).catch(() => undefined))?.status === 200;
  return { keyspace: keyspaceFromData(data), prefix, ready };
}

describe.each(clients)('worker dynamodb with CDC_CACHE_REDIS_CLIENT=%s', (client) => {
  it('invalidates the changed items on the shared Redis', async () => {
    // Prepare
    const table = await fixture.createTable('clients');
    const reader = new Redis(stackEndpoints().redis.url);
    open.push(async () => reader.disconnect());
    const { keyspace, prefix } = await startWorker(table, {
      CDC_CACHE_REDIS_URL: stackEndpoints().redis.url,
      CDC_CACHE_REDIS_CLIENT: client,
    });
    const cache = createCache({ redis: reader, keyspace, prefix });
    await fixture.put(table, { pk: 'C0', price: 0 });
    // The worker has consumed the stream once C0's cached value is gone.
    await cache.get('product', { sku: 'C0' }, async () => ({ cached: true }));
    await waitFor(async () => (await cache.peek('product', { sku: 'C0' })) === undefined, {
      description: 'C0 invalidated',
      timeoutMs: 30_000,
    });
    await cache.get('product', { sku: 'C1' }, async () => ({ cached: true }));

    // Act
    await fixture.put(table, { pk: 'C1', price: 1 });

    // Assess
    await waitFor(async () => (await cache.peek('product', { sku: 'C1' })) === undefined, {
      description: `C1 invalidated by the ${client} worker`,
      timeoutMs: 30_000,
    });
  });

  it('pauses while its Redis is down and applies what changed meanwhile once it is back', async () => {
    // Prepare: a redis-server of this test only
    const server: RedisProcess = await startRedisProcess();
    open.push(() => server.stop());
    const table = await fixture.createTable('clients-outage');
    const { keyspace, prefix, ready } = await startWorker(table, {
      CDC_CACHE_REDIS_URL: server.url,
      CDC_CACHE_REDIS_CLIENT: client,
    });
    const reader = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    open.push(async () => reader.disconnect());
    const cache = createCache({ redis: reader, keyspace, prefix });
    await waitFor(ready, { description: 'ready', timeoutMs: 30_000 });

    // Act: Redis goes away, an item changes, Redis comes back (empty) and the item is cached
    await server.stop();
    await fixture.put(table, { pk: 'O1', price: 2 });
    await waitFor(async () => !(await ready()), {
      description: 'not ready while Redis is down',
      timeoutMs: 30_000,
    });
    await server.start();
    await cache.get('product', { sku: 'O1' }, async () => ({ cached: true }));

    // Assess: the change made during the outage reaches Redis once it is back, and the worker is ready
    await waitFor(async () => (await cache.peek('product', { sku: 'O1' })) === undefined, {
      description: `O1 invalidated after the outage by the ${client} worker`,
      timeoutMs: 60_000,
    });
    await waitFor(ready, { description: 'ready again', timeoutMs: 30_000 });
  });
});
