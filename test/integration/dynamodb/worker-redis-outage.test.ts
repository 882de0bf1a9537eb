import { Redis } from 'ioredis';
import pino from 'pino';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { createCache, keyspaceFromData } from '../../../src/index';
import {
  createDynamoDbWorker,
  createRedisDeadLetters,
  createShardStore,
} from '../../../src/runtimes/dynamodb-worker';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';
import { dynamodbStreamFixture } from './dynamodb-stream-fixture';

const fixture = dynamodbStreamFixture();
let server: RedisProcess;

jest.setTimeout(90_000);

beforeAll(async () => {
  server = await startRedisProcess();
});

afterAll(async () => {
  await server.stop();
  await fixture.close();
});

describe('DynamoDB polling worker through a Redis outage (its own throwaway redis-server)', () => {
  it('keeps its position while Redis is down and applies the changes made meanwhile once it is back', async () => {
    // Prepare
    const table = await fixture.createTable('outage');
    const keyspace = keyspaceFromData({
      entities: {
        product: {
          key: 'product:{sku}',
          ttl: '5m',
          mode: 'refresh',
          sources: [{ dynamodb: table, fields: { sku: 'pk' } }],
        },
      },
    });
    const prefix = `${uniqueName('outage')}:`;
    // Fail fast while down, reconnect on its own when back: as the worker's own client does.
    const redis = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    const cache = createCache({ redis, keyspace, prefix });
    const worker = createDynamoDbWorker({
      table,
      keyspace,
      engine: createInvalidationEngine({ keyspace, redis, prefix, retry: { retries: 1, maxDelayMs: 100 } }),
      reader: fixture.reader,
      store: createShardStore({ redis, prefix, table, owner: 'w1', leaseMs: 2000 }),
      deadLetters: createRedisDeadLetters({ redis, prefix, table }),
      logger: pino({ level: 'silent' }),
      idleMs: 50,
      discoveryMs: 300,
      leaseMs: 2000,
      retryMaxMs: 500,
    });
    await worker.start();
    await fixture.put(table, { pk: 'O1', price: 1 });
    await waitFor(async () => (await cache.peek('product', { sku: 'O1' })) !== undefined, {
      description: 'O1 before',
      timeoutMs: 15_000,
    });

    // Act: Redis goes away; the item changes twice; Redis comes back (empty: no persistence)
    await server.stop();
    await fixture.put(table, { pk: 'O1', price: 2 });
    await fixture.put(table, { pk: 'O2', price: 20 });
    await waitFor(() => !worker.isReady(), {
      description: 'not ready while Redis is down',
      timeoutMs: 10_000,
    });
    await server.start();

    // Assess: nothing was lost; both changes reach Redis once it is back
    await waitFor(
      async () =>
        ((await cache.peek('product', { sku: 'O1' })) as { price?: number } | undefined)?.price === 2,
      {
        description: 'O1 refreshed after the outage',
        timeoutMs: 30_000,
      },
    );
    await waitFor(async () => (await cache.peek('product', { sku: 'O2' })) !== undefined, {
      description: 'O2 after the outage',
      timeoutMs: 30_000,
    });
    await waitFor(() => worker.isReady(), {
      description: 'ready again once discovery succeeds',
      timeoutMs: 10_000,
    });
    await worker.stop();
    redis.disconnect();
  });
});
