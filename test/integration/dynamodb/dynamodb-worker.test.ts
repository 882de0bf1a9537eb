import { Redis } from 'ioredis';
import pino from 'pino';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { createCache, keyspaceFromData } from '../../../src/index';
import { internalKey } from '../../../src/keyspace';
import {
  createDynamoDbWorker,
  createRedisDeadLetters,
  createShardStore,
  type DynamoDbWorker,
} from '../../../src/runtimes/dynamodb-worker';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';
import { dynamodbStreamFixture } from './dynamodb-stream-fixture';

const fixture = dynamodbStreamFixture();
const redis = new Redis(stackEndpoints().redis.url);
const logger = pino({ level: 'silent' });
const workers: DynamoDbWorker[] = [];

function keyspaceData(table: string) {
  return {
    entities: {
      product: {
        key: 'product:{sku}',
        ttl: '5m',
        mode: 'refresh',
        sources: [{ dynamodb: table, fields: { sku: 'pk' } }],
      },
      productsByCategory: {
        key: 'products-by-category:{category}',
        ttl: '5m',
        sources: [{ dynamodb: table }],
      },
    },
  };
}

async function setup(
  options: { viewType?: 'KEYS_ONLY' | 'NEW_AND_OLD_IMAGES'; versionAttribute?: string } = {},
) {
  const table = await fixture.createTable('poll', options.viewType);
  const keyspace = keyspaceFromData(keyspaceData(table));
  const prefix = `${uniqueName('poll')}:`;
  const cache = createCache({ redis, keyspace, prefix });
  const worker = (owner: string) => {
    const created = createDynamoDbWorker({
      table,
      keyspace,
      engine: createInvalidationEngine({ keyspace, redis, prefix }),
      reader: fixture.reader,
      store: createShardStore({ redis, prefix, table, owner, leaseMs: 2000 }),
      deadLetters: createRedisDeadLetters({ redis, prefix, table }),
      logger,
      idleMs: 50,
      discoveryMs: 300,
      leaseMs: 2000,
      ...(options.versionAttribute ? { versionAttribute: options.versionAttribute } : {}),
    });
    workers.push(created);
    return created;
  };
  return { table, keyspace, prefix, cache, worker };
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
});

// Child processes and stream polling take seconds; the default 5 s is too tight on a shared machine.
jest.setTimeout(60_000);

afterAll(async () => {
  await fixture.close();
  redis.disconnect();
});

describe('DynamoDB polling worker on DynamoDB Local', () => {
  it('invalidates and refreshes the keys of puts, updates and deletes', async () => {
    // Prepare
    const { table, cache, worker } = await setup();
    await cache.get('productsByCategory', { category: 'books' }, async () => ['old']);
    await worker('w1').start();

    // Act
    await fixture.put(table, { pk: 'P1', category: 'books', price: 10 });

    // Assess: the absent product key receives the new image; the category list is dropped
    await waitFor(async () => (await cache.peek('product', { sku: 'P1' })) !== undefined, {
      description: 'P1 refreshed',
      timeoutMs: 15_000,
    });
    expect(await cache.peek('product', { sku: 'P1' })).toEqual({ pk: 'P1', category: 'books', price: 10 });
    expect(await cache.peek('productsByCategory', { category: 'books' })).toBeUndefined();

    // Act
    await fixture.put(table, { pk: 'P1', category: 'books', price: 11 });
    await waitFor(
      async () => ((await cache.peek('product', { sku: 'P1' })) as { price?: number })?.price === 11,
      {
        description: 'P1 refreshed again',
        timeoutMs: 15_000,
      },
    );
    await fixture.remove(table, 'P1');

    // Assess
    await waitFor(async () => (await cache.peek('product', { sku: 'P1' })) === undefined, {
      description: 'P1 deleted',
      timeoutMs: 15_000,
    });
  });

  it('dead-letters a malformed record and keeps consuming the shard', async () => {
    // Prepare
    const { table, prefix, cache, worker } = await setup({ versionAttribute: 'rev' });
    await cache.get('productsByCategory', { category: 'after' }, async () => ['stale']);
    await worker('w1').start();

    // Act: a version attribute that is not a number cannot be decoded; the next record must still apply
    await fixture.put(table, { pk: 'M1', category: 'bad', rev: 'not-a-number' });
    await fixture.put(table, { pk: 'M2', category: 'after', rev: 1 });

    // Assess
    await waitFor(async () => (await cache.peek('productsByCategory', { category: 'after' })) === undefined, {
      description: 'the record after the malformed one applied',
      timeoutMs: 15_000,
    });
    const letters = await redis.xrange(internalKey(prefix, 'dlq', table), '-', '+');
    expect(letters).toHaveLength(1);
    const flat = letters[0]![1];
    const fields: Record<string, string> = {};
    for (let index = 0; index < flat.length; index += 2) fields[flat[index]!] = flat[index + 1]!;
    expect(fields).toMatchObject({ table, 'error.code': 'CDC_DECODE_FAILED', runtime: 'dynamodb-worker' });
    expect(JSON.parse(fields['record']!).dynamodb.Keys).toEqual({ pk: { S: 'M1' } });
  });

  it('lets only one of two workers read a shard, and hands it over when that one stops', async () => {
    // Prepare
    const { table, cache, worker } = await setup();
    const [first, second] = [worker('w1'), worker('w2')];
    await first.start();
    await second.start();

    // Act
    await waitFor(() => first.heldShards().length + second.heldShards().length === 1, {
      description: 'one holder',
      timeoutMs: 10_000,
    });
    const [holder, other] = first.heldShards().length === 1 ? [first, second] : [second, first];
    await fixture.put(table, { pk: 'H1', category: 'x', price: 1 });
    await waitFor(async () => (await cache.peek('product', { sku: 'H1' })) !== undefined, {
      description: 'H1 via holder',
      timeoutMs: 15_000,
    });
    const shard = holder.heldShards()[0];
    await holder.stop();
    await fixture.put(table, { pk: 'H2', category: 'x', price: 2 });

    // Assess
    expect(other.heldShards()).toEqual([]);
    await waitFor(() => other.heldShards().includes(shard!), {
      description: 'the other worker took the shard over',
      timeoutMs: 10_000,
    });
    await waitFor(async () => (await cache.peek('product', { sku: 'H2' })) !== undefined, {
      description: 'H2 via the other worker',
      timeoutMs: 15_000,
    });
  });

  it('refuses to start when the stream view type cannot serve the keyspace', async () => {
    // Prepare
    const { worker } = await setup({ viewType: 'KEYS_ONLY' });

    // Act
    const starting = worker('w1').start();

    // Assess
    await expect(starting).rejects.toMatchObject({
      code: 'CDC_CONFIG_INVALID',
      message: expect.stringMatching(/streams KEYS_ONLY.*'product' is in refresh mode/s),
    });
  });
});
