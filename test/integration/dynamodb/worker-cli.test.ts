import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createCache, keyspaceFromData } from '../../../src/index';
import { internalKey } from '../../../src/keyspace';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';
import { dynamodbStreamFixture } from './dynamodb-stream-fixture';

const fixture = dynamodbStreamFixture();
const redis = new Redis(stackEndpoints().redis.url);
const children: ChildProcess[] = [];

async function setup() {
  const table = await fixture.createTable('cli');
  const data = {
    entities: {
      product: { key: 'product:{sku}', ttl: '5m', sources: [{ dynamodb: table, fields: { sku: 'pk' } }] },
    },
  };
  const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-ddb-'));
  const keyspacePath = join(directory, 'keyspace.json');
  writeFileSync(keyspacePath, JSON.stringify(data));
  const prefix = `${uniqueName('cli')}:`;
  const cache = createCache({ redis, keyspace: keyspaceFromData(data), prefix });
  const fill = (sku: string) => cache.get('product', { sku }, async () => ({ sku, cached: true }));
  const cached = async (sku: string) => (await cache.peek('product', { sku })) !== undefined;
  /** Start `cdc-cache worker dynamodb` as a real child process. */
  const startWorker = (tableName = table) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'worker',
        'dynamodb',
        '--table',
        tableName,
        '--idle-ms',
        '50',
        '--lease-ms',
        '2000',
        '--discovery-ms',
        '300',
        '--http-port',
        '0',
      ],
      {
        env: {
          ...process.env,
          ...fixture.childEnv,
          CDC_CACHE_KEYSPACE: keyspacePath,
          CDC_CACHE_REDIS_URL: stackEndpoints().redis.url,
          CDC_CACHE_KEY_PREFIX: prefix,
          CDC_CACHE_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    children.push(child);
    return { child, output: () => output };
  };
  const shardState = async () => {
    const { shards } = await fixture.reader.describe(table);
    return redis.hgetall(internalKey(prefix, 'ckpt', table, shards[0]!.shardId));
  };
  return { table, fill, cached, startWorker, shardState };
}

// Child processes and stream polling take seconds; the default 5 s is too tight on a shared machine.
jest.setTimeout(60_000);

afterAll(async () => {
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await fixture.close();
  redis.disconnect();
});

describe('cdc-cache worker dynamodb (the CLI, as a child process)', () => {
  it('resumes from its checkpoint after SIGKILL and loses nothing', async () => {
    // Prepare
    const { table, fill, cached, startWorker, shardState } = await setup();
    await fixture.put(table, { pk: 'R1', price: 1 });
    await fill('R1');
    const first = startWorker();
    await waitFor(async () => !(await cached('R1')), {
      description: 'R1 invalidated by the first worker',
      timeoutMs: 30_000,
    });
    const checkpoint = await waitFor(async () => (await shardState())['seq'], {
      description: 'a checkpoint',
      timeoutMs: 10_000,
    });

    // Act: refill R1 (so a replay from the start of the stream would show), kill -9, change R2 while down
    await fill('R1');
    first.child.kill('SIGKILL');
    await once(first.child, 'exit');
    await fixture.put(table, { pk: 'R2', price: 2 });
    await fill('R2');
    const second = startWorker();

    // Assess: R2's change, made while no worker ran, is applied; R1's older change is not replayed
    await waitFor(async () => !(await cached('R2')), {
      description: 'R2 invalidated after the restart',
      timeoutMs: 30_000,
    });
    expect(await cached('R1')).toBe(true);
    expect(BigInt((await shardState())['seq']!)).toBeGreaterThan(BigInt(checkpoint));
    expect(second.output()).toMatch(/"checkpoint":"\d+"[^\n]*shard lease taken/);

    // Act: graceful stop
    second.child.kill('SIGTERM');
    const [code] = await once(second.child, 'exit');

    // Assess: exit 0, the lease given back, the checkpoint kept
    expect(code).toBe(0);
    const state = await shardState();
    expect(state['owner']).toBeUndefined();
    expect(state['seq']).toBeDefined();
  });

  it('exits with code 2 and names the problem when no entity of the keyspace reads the table', async () => {
    // Prepare
    const { startWorker } = await setup();
    const unbound = await fixture.createTable('unbound');

    // Act
    const worker = startWorker(unbound);
    const [code] = await once(worker.child, 'exit');

    // Assess
    expect(code).toBe(2);
    expect(worker.output()).toContain(`No entity of the keyspace has the source { dynamodb: '${unbound}' }`);
  });
});
