// DynamoDB Local stream → `cdc-cache worker dynamodb` → Redis, audited by `cdc-cache audit dynamodb` (both real
// child processes, one configuration). The auditor keeps its shard positions in memory, never in Redis.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { scrapeCounter } from '../../../scripts/demo/scrape-counter';
import { createCache, keyspaceFromData } from '../../../src';
import { writeEntry } from '../../../src/sdk/entry-codec';
import { currentGeneration } from '../../support/current-generation';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';
import { dynamodbStreamFixture } from '../dynamodb/dynamodb-stream-fixture';

jest.setTimeout(90_000);

const fixture = dynamodbStreamFixture();
const redis = new Redis(stackEndpoints().redis.url);
const prefix = `${uniqueName('ddb-audit')}:`;
const children: ChildProcess[] = [];
let table: string;
let keyspacePath: string;
let cache: ReturnType<typeof createCache>;
const ports: Record<string, number> = {};
/** What each child printed, for failure messages. */
const outputs: Record<string, () => string> = {};

/** `cdc-cache <command> dynamodb` as a child process; resolves its /metrics port once it is ready. */
async function start(command: 'worker' | 'audit', extra: Record<string, string> = {}): Promise<number> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', command, 'dynamodb'], {
    env: {
      ...process.env,
      ...fixture.childEnv,
      CDC_CACHE_DYNAMODB_TABLE: table,
      CDC_CACHE_KEYSPACE: keyspacePath,
      CDC_CACHE_REDIS_URL: stackEndpoints().redis.url,
      CDC_CACHE_KEY_PREFIX: prefix,
      CDC_CACHE_DYNAMODB_IDLE_MS: '50',
      CDC_CACHE_DYNAMODB_DISCOVERY_MS: '300',
      CDC_CACHE_HTTP_PORT: '0',
      CDC_CACHE_LOG_LEVEL: 'info',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  outputs[command] = () => output;
  child.stdout!.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr!.on('data', (chunk) => {
    output += chunk;
  });
  const port = await waitFor(() => /"httpPort":([1-9]\d*)/.exec(output)?.[1], {
    description: `${command} started`,
    timeoutMs: 30_000,
  });
  // The worker starts from the trim horizon and misses nothing; the auditor starts at the latest records.
  if (command === 'audit') {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok, {
      description: 'audit ready',
      timeoutMs: 30_000,
    });
  }
  return Number(port);
}

const metric = (name: string, labels = '', of = 'audit') =>
  scrapeCounter(`http://127.0.0.1:${ports[of]}/metrics`, name, labels);

beforeAll(async () => {
  table = await fixture.createTable('audited');
  const data = {
    entities: {
      product: { key: 'product:{sku}', ttl: '5m', sources: [{ dynamodb: table, fields: { sku: 'pk' } }] },
    },
  };
  keyspacePath = join(mkdtempSync(join(tmpdir(), 'cdc-cache-audit-')), 'keyspace.json');
  writeFileSync(keyspacePath, JSON.stringify(data));
  cache = createCache({ redis, keyspace: keyspaceFromData(data), prefix });
  ports['worker'] = await start('worker');
  ports['audit'] = await start('audit', {
    CDC_CACHE_AUDIT_DELAYS: '5s,30s',
    CDC_CACHE_AUDIT_RECHECK_MS: '250',
    CDC_CACHE_AUDIT_SUMMARY_MS: '1000',
  });
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
  await cache.close();
  await fixture.close();
  redis.disconnect();
});

describe('cdc-cache audit dynamodb', () => {
  it('reports 0 inconsistent while the worker is healthy, and a key planted with an old value', async () => {
    // Prepare
    for (const sku of ['A', 'B']) await cache.get('product', { sku }, async () => ({ sku, cached: true }));
    // Act: two healthy changes, then one whose key gets an old value planted after the worker applied it
    await fixture.put(table, { pk: 'A', price: 1 });
    await fixture.put(table, { pk: 'B', price: 1 });
    await waitFor(
      async () => (await metric('cdc_cache_audit_checks_total', 'delay="5s",result="consistent"')) >= 2,
      {
        description: 'two changes checked at 5s',
        timeoutMs: 30_000,
      },
    ).catch((error: Error) => {
      throw new Error(`${error.message}\naudit output:\n${outputs['audit']?.().slice(-3000)}`);
    });
    const healthyInconsistent = await metric('cdc_cache_audit_checks_total', 'result="inconsistent"');
    await fixture.put(table, { pk: 'C', price: 1 });
    // The worker applied it (a plant before that would simply be deleted by it).
    await waitFor(async () => (await metric('cdc_cache_records_total', 'result="applied"', 'worker')) >= 3, {
      description: 'the third change applied',
      timeoutMs: 10_000,
    });
    const writtenAtMs = Date.now() - 60_000;
    await redis.set(
      `${prefix}product:C`,
      writeEntry({
        generation: await currentGeneration(redis, prefix, 'product'),
        version: '',
        writtenAtMs,
        staleAtMs: writtenAtMs + 600_000,
        payload: 'j{}',
      }),
    );

    // Assess
    expect(healthyInconsistent).toBe(0);
    await waitFor(
      async () => (await metric('cdc_cache_audit_checks_total', 'delay="5s",result="inconsistent"')) >= 1,
      {
        description: 'the planted key reported',
        timeoutMs: 30_000,
      },
    );
    expect(await redis.exists(`${prefix}_cc:ckpt:${table}`)).toBe(0);
  });
});
