// The ready-made stream handler (`cdc-cache/lambda`'s `handler`) with node-redis or GLIDE as its Redis client
// (CDC_CACHE_REDIS_CLIENT): invocations of one container reuse the one client its cold start opened. Counted
// on a redis-server of this test alone, whose CLIENT LIST holds only the handler's connections and ours.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createCache, keyspaceFromData } from '../../../src/index';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { uniqueName } from '../../support/unique-name';
import { dynamodbStreamFixture } from '../dynamodb/dynamodb-stream-fixture';

type LambdaModule = typeof import('../../../src/lambda');

const fixture = dynamodbStreamFixture();
const servers: RedisProcess[] = [];

jest.setTimeout(60_000);

afterAll(async () => {
  // The handlers' clients live as long as their module (a container): the servers go first.
  for (const server of servers) await server.stop();
  await fixture.close();
});

/** The handler's connections: every client of the server but ours, with their protocol (RESP2 or 3). */
async function handlerConnections(admin: Redis): Promise<{ id: string; resp: string }[]> {
  const own = String(await admin.client('ID'));
  const list = String(await admin.client('LIST'));
  return list
    .trim()
    .split('\n')
    .map((line) => Object.fromEntries(line.split(' ').map((field) => field.split('=') as [string, string])))
    .filter((fields) => fields['id'] !== own)
    .map((fields) => ({ id: fields['id']!, resp: fields['resp']! }));
}

describe.each(['node-redis', 'glide'] as const)('the Lambda stream handler with %s', (client) => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('reuses the client of its cold start across invocations', async () => {
    // Prepare: a redis-server, a table, its keyspace file, and the handler module loaded fresh (a container)
    const server = await startRedisProcess();
    servers.push(server);
    const admin = new Redis(server.url);
    const table = await fixture.createTable('reuse');
    const data = {
      entities: {
        product: { key: 'product:{sku}', ttl: '5m', sources: [{ dynamodb: table, fields: { sku: 'pk' } }] },
      },
    };
    const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-lambda-reuse-'));
    writeFileSync(join(directory, 'keyspace.json'), JSON.stringify(data));
    const prefix = `${uniqueName('reuse')}:`;
    Object.assign(process.env, {
      CDC_CACHE_KEYSPACE: join(directory, 'keyspace.json'),
      CDC_CACHE_REDIS_URL: server.url,
      CDC_CACHE_REDIS_CLIENT: client,
      CDC_CACHE_KEY_PREFIX: prefix,
      CDC_CACHE_LOG_LEVEL: 'silent',
    });
    let lambda!: LambdaModule;
    jest.isolateModules(() => {
      lambda = require('../../../src/lambda') as LambdaModule;
    });
    const cache = createCache({ redis: admin, keyspace: keyspaceFromData(data), prefix });

    // Act: three invocations, each with a new change
    const seen: { id: string; resp: string }[][] = [];
    for (const sku of ['R1', 'R2', 'R3']) {
      await cache.get('product', { sku }, async () => ({ cached: true }));
      await fixture.put(table, { pk: sku, price: 1 });
      const records = (await fixture.readStream(table)).filter(
        (record) => record.dynamodb?.Keys?.['pk']?.S === sku,
      );
      expect(await lambda.handler({ Records: records })).toEqual({ batchItemFailures: [] });
      expect(await cache.peek('product', { sku })).toBeUndefined();
      seen.push(await handlerConnections(admin));
    }

    // Assess: the same connections after every invocation, and they speak RESP3 (ioredis 5, the default
    // library, speaks RESP2 only: these are the chosen library's)
    expect(seen[0]!.length).toBeGreaterThan(0);
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[2]).toEqual(seen[0]);
    expect(seen[0]!.every((connection) => connection.resp === '3')).toBe(true);
    admin.disconnect();
  });
});
