import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBRecord } from 'aws-lambda';
import { Cluster, Redis } from 'ioredis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { createCache, keyspaceFromData } from '../../../src/index';
import { createEmfMetrics, createStreamHandler } from '../../../src/lambda';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { dynamodbStreamFixture } from '../dynamodb/dynamodb-stream-fixture';

const fixture = dynamodbStreamFixture();
const redis = new Redis(stackEndpoints().redis.url);
const quiet = createEmfMetrics({ write: () => undefined });
let bundleBuilt = false;

// `product` is refreshed with the new image; `productsByCategory` is built from a non-key attribute, so a
// category change must drop the key of the old category and the new one.
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

async function setup(viewType?: 'KEYS_ONLY' | 'NEW_AND_OLD_IMAGES') {
  const table = await fixture.createTable('products', viewType);
  const keyspace = keyspaceFromData(keyspaceData(table));
  const prefix = `${uniqueName('lambda')}:`;
  const cache = createCache({ redis, keyspace, prefix });
  const engine = createInvalidationEngine({ keyspace, redis, prefix });
  const handler = createStreamHandler({ dependencies: { engine, keyspace }, metrics: quiet });
  return { table, keyspace, prefix, cache, engine, handler };
}

// Child processes and stream polling take seconds; the default 5 s is too tight on a shared machine.
jest.setTimeout(60_000);

afterAll(async () => {
  await fixture.close();
  redis.disconnect();
});

describe('DynamoDB Streams Lambda handler on records read from the real stream', () => {
  it('refreshes and invalidates the keys of put, update and delete', async () => {
    // Prepare
    const { table, cache, handler } = await setup();
    await fixture.put(table, { pk: 'A1', category: 'books', price: 10 });
    await cache.get('product', { sku: 'A1' }, async () => ({ pk: 'A1', category: 'books', price: 10 }));
    await cache.get('productsByCategory', { category: 'books' }, async () => ['A1']);
    await cache.get('productsByCategory', { category: 'games' }, async () => []);
    await fixture.put(table, { pk: 'A1', category: 'games', price: 12 });

    // Act
    const first = await handler({ Records: await fixture.readStream(table) });

    // Assess: an SDK-filled value has no version, so the refresh drops it (tombstone) rather than guess
    expect(first).toEqual({ batchItemFailures: [] });
    expect(await cache.peek('product', { sku: 'A1' })).toBeUndefined();
    expect(await cache.peek('productsByCategory', { category: 'books' })).toBeUndefined();
    expect(await cache.peek('productsByCategory', { category: 'games' })).toBeUndefined();

    // Act: another update, then the whole stream again (redelivered records change nothing)
    await fixture.put(table, { pk: 'A1', category: 'games', price: 13 });
    const second = await handler({ Records: await fixture.readStream(table) });

    // Assess: the newest image is written, version-guarded against the redelivered older ones
    expect(second).toEqual({ batchItemFailures: [] });
    expect(await cache.peek('product', { sku: 'A1' })).toEqual({ pk: 'A1', category: 'games', price: 13 });

    // Act: delete
    await fixture.remove(table, 'A1');
    const third = await handler({ Records: await fixture.readStream(table) });

    // Assess
    expect(third).toEqual({ batchItemFailures: [] });
    expect(await cache.peek('product', { sku: 'A1' })).toBeUndefined();
  });

  it('reports the first poison record as the itemIdentifier and applies the records before it', async () => {
    // Prepare
    const { table, cache, handler } = await setup();
    for (const pk of ['B1', 'B2', 'B3']) await fixture.put(table, { pk, category: 'c', price: 1 });
    for (const pk of ['B1', 'B2', 'B3'])
      await cache.get('product', { sku: pk }, async () => ({ stale: true }));
    for (const pk of ['B1', 'B2', 'B3']) await fixture.put(table, { pk, category: 'c', price: 2 });
    const records = await fixture.readStream(table);
    const poison = records[4] as DynamoDBRecord;
    // A record the decoder must refuse: its Keys are gone.
    delete poison.dynamodb!.Keys;

    // Act
    const response = await handler({ Records: records });

    // Assess
    expect(records).toHaveLength(6);
    expect(response.batchItemFailures).toEqual([{ itemIdentifier: poison.dynamodb!.SequenceNumber }]);
    expect(await cache.peek('product', { sku: 'B1' })).toBeUndefined();
    expect(await cache.peek('product', { sku: 'B2' })).toBeUndefined();
    // Records after the poison one are applied too (idempotently again on Lambda's retry): no stale value waits.
    expect(await cache.peek('product', { sku: 'B3' })).toBeUndefined();
  });

  it('fails loudly when a KEYS_ONLY stream feeds a refresh-mode entity', async () => {
    // Prepare
    const { table, handler } = await setup('KEYS_ONLY');
    await fixture.put(table, { pk: 'K1', category: 'c' });

    // Act
    const invocation = handler({ Records: await fixture.readStream(table) });

    // Assess
    await expect(invocation).rejects.toThrow(/streams KEYS_ONLY.*'product' is in refresh mode/s);
  });

  it.each([
    ['standalone Redis', stackEndpoints().redis.url, false],
    ['Redis Cluster', `redis://127.0.0.1:${stackEndpoints().redisCluster.nodes[0]!.port}`, true],
  ])(
    'works as the esbuild bundle, configured from the environment, in a fresh process (%s)',
    async (_name, url, cluster) => {
      // Prepare
      if (!bundleBuilt) execFileSync(process.execPath, ['scripts/build-lambda.mjs'], { stdio: 'pipe' });
      bundleBuilt = true;
      const client = cluster ? new Cluster([...stackEndpoints().redisCluster.nodes]) : redis;
      const table = await fixture.createTable('bundle');
      const prefix = `${uniqueName('bundle')}:`;
      const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-lambda-'));
      writeFileSync(join(directory, 'keyspace.json'), JSON.stringify(keyspaceData(table)));
      const keyspace = keyspaceFromData(keyspaceData(table));
      const cache = createCache({ redis: client, keyspace, prefix });
      await fixture.put(table, { pk: 'Z1', category: 'toys', price: 5 });
      await cache.get('productsByCategory', { category: 'toys' }, async () => ['Z1']);
      await fixture.put(table, { pk: 'Z1', category: 'toys', price: 6 });
      writeFileSync(
        join(directory, 'event.json'),
        JSON.stringify({ Records: await fixture.readStream(table) }),
      );
      const invoke = `
      const { handler } = require(${JSON.stringify(join(process.cwd(), 'dist-lambda/index.js'))});
      const event = require(${JSON.stringify(join(directory, 'event.json'))});
      handler(event).then((response) => { process.stdout.write('RESPONSE ' + JSON.stringify(response) + '\\n'); process.exit(0); },
        (error) => { console.error(error); process.exit(1); });`;

      // Act
      const output = execFileSync(process.execPath, ['-e', invoke], {
        env: {
          PATH: process.env['PATH'],
          CDC_CACHE_KEYSPACE: join(directory, 'keyspace.json'),
          CDC_CACHE_REDIS_URL: url,
          CDC_CACHE_REDIS_CLUSTER: String(cluster),
          CDC_CACHE_KEY_PREFIX: prefix,
          CDC_CACHE_LOG_LEVEL: 'warn',
        },
        encoding: 'utf8',
      });

      // Assess
      const lines = output.trim().split('\n');
      const response = JSON.parse(
        lines.find((line) => line.startsWith('RESPONSE '))!.slice('RESPONSE '.length),
      );
      const emf = JSON.parse(lines.find((line) => line.includes('cdc_cache_records_total'))!);
      expect(response).toEqual({ batchItemFailures: [] });
      expect(await cache.peek('productsByCategory', { category: 'toys' })).toBeUndefined();
      expect(await cache.peek('product', { sku: 'Z1' })).toEqual({ pk: 'Z1', category: 'toys', price: 6 });
      expect(emf).toMatchObject({
        runtime: 'dynamodb-lambda',
        result: 'applied',
        cdc_cache_records_total: 2,
      });
      if (client !== redis) client.disconnect();
    },
  );
});
