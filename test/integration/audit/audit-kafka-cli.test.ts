// PostgreSQL → Debezium → Kafka → `cdc-cache worker kafka` → Redis, audited by `cdc-cache audit kafka` (both
// real child processes with ONE configuration). The auditor logs in to Redis as an ACL user that may only read.
import { Redis } from 'ioredis';
import { scrapeCounter } from '../../../scripts/demo/scrape-counter';
import { type Cache, createCache, keyspaceFromData } from '../../../src';
import { writeEntry } from '../../../src/sdk/entry-codec';
import { currentGeneration } from '../../support/current-generation';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
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
} from '../kafka-worker/kafka-chain';

jest.setTimeout(180_000);

const users = uniqueName('audited');
const prefix = `${uniqueName('audit')}:`;
const entities = { user: { key: 'user:{id}', ttl: '10m', sources: [{ table: `public.${users}` }] } };
const keyspace = keyspaceFromData({ entities });

let redisServer: RedisProcess;
let admin: Redis;
let connector: TestConnector;
let worker: WorkerProcess;
let auditor: WorkerProcess;
let workerEnv: Record<string, string>;
let auditPort: number;
let workerPort: number;
let cache: Cache;

/** `cdc-cache audit kafka` as a child process (the worker's env plus the auditor's own settings). */
const spawnAuditor = (env: Record<string, string>) => spawnWorker(env, [], ['audit', 'kafka']);

const metric = (name: string, labels = '') =>
  scrapeCounter(`http://127.0.0.1:${auditPort}/metrics`, name, labels);

const checks = (delay: string, result: string) =>
  metric('cdc_cache_audit_checks_total', `delay="${delay}",result="${result}"`);

async function fill(id: number) {
  await cache.get('user', { id }, async () => ({ id, name: 'cached' }));
  expect(await cache.peek('user', { id })).toEqual({ id, name: 'cached' });
}

async function stopProcess(process: WorkerProcess | undefined) {
  if (!process || process.child.exitCode !== null) return;
  process.child.kill('SIGTERM');
  await process.exited;
}

beforeAll(async () => {
  redisServer = await startRedisProcess();
  admin = new Redis(redisServer.url);
  // The auditor's user may read and connect, nothing else.
  await admin.call(
    'ACL',
    'SETUSER',
    'auditor',
    'on',
    '>audit-secret',
    '~*',
    'resetchannels',
    '-@all',
    '+@read',
    '+@connection',
    '+info',
  );
  cache = createCache({ redis: redisServer.url, keyspace, prefix });
  await pgQuery(`CREATE TABLE ${users} (id int PRIMARY KEY, name text)`);
  connector = await startPostgresConnector([users]);
  await pgQuery(`INSERT INTO ${users} SELECT g, 'v0' FROM generate_series(1, 6) g`);
  await waitForTopic(connector.topic(users));
  workerPort = await freePort();
  auditPort = await freePort();
  workerEnv = {
    CDC_CACHE_KEYSPACE: writeKeyspace(entities),
    CDC_CACHE_KEY_PREFIX: prefix,
    CDC_CACHE_REDIS_URL: redisServer.url,
    CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
    CDC_CACHE_KAFKA_TOPICS: connector.topic(users),
    CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
  };
  worker = spawnWorker({ ...workerEnv, CDC_CACHE_HTTP_PORT: String(workerPort) });
  auditor = spawnAuditor({
    ...workerEnv,
    CDC_CACHE_HTTP_PORT: String(auditPort),
    CDC_CACHE_REDIS_USERNAME: 'auditor',
    CDC_CACHE_REDIS_PASSWORD: 'audit-secret',
    CDC_CACHE_AUDIT_GROUP_ID: uniqueName('audit-group'),
    CDC_CACHE_AUDIT_DELAYS: '3s,60s',
    CDC_CACHE_AUDIT_RECHECK_MS: '250',
    CDC_CACHE_AUDIT_SUMMARY_MS: '1000',
  });
  await waitUntilReady(workerPort, worker);
  await waitUntilConsumed(workerPort, 6, worker);
  await waitUntilReady(auditPort, auditor);
});

afterAll(async () => {
  await stopProcess(worker);
  await stopProcess(auditor);
  await cache?.close();
  admin?.disconnect();
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${users}`).catch(() => undefined);
  await redisServer?.stop();
});

describe('cdc-cache audit kafka', () => {
  it('reports 0 inconsistent while the worker is healthy', async () => {
    // Prepare
    await fill(1);
    await fill(2);
    // Act
    await pgQuery(`UPDATE ${users} SET name = 'v1' WHERE id IN (1, 2)`);
    // Assess
    await waitFor(async () => (await checks('3s', 'consistent')) >= 2, {
      timeoutMs: 30_000,
      description: 'two changes checked at 3s',
    });
    expect(await checks('3s', 'inconsistent')).toBe(0);
  });

  it('reports a key planted with a value older than the change', async () => {
    // Prepare: the worker applied the change (the key was never cached)
    await pgQuery(`UPDATE ${users} SET name = 'v1' WHERE id = 3`);
    await waitUntilConsumed(workerPort, 9, worker); // 6 inserts, 2 updates, this one
    // Act: a value written before the change shows up (a lost invalidation, a fill from a lagging replica)
    const writtenAtMs = Date.now() - 60_000;
    await admin.set(
      `${prefix}user:3`,
      writeEntry({
        generation: await currentGeneration(admin, prefix, 'user'),
        version: '',
        writtenAtMs,
        staleAtMs: writtenAtMs + 600_000,
        payload: 'j{}',
      }),
    );
    // Assess
    await waitFor(async () => (await checks('3s', 'inconsistent')) >= 1, {
      timeoutMs: 30_000,
      description: 'the planted key reported',
    });
    await waitFor(
      () => /inconsistent entry/.test(auditor.output()) && auditor.output().includes(`${prefix}user:3`),
      {
        timeoutMs: 5_000,
        description: 'the planted key named in the log',
      },
    );
  });

  it('reports the inconsistencies while the worker is stopped, and their resolution once it resumes', async () => {
    // Prepare
    await stopProcess(worker);
    await fill(4);
    const before = await checks('3s', 'inconsistent');
    // Act: a change nobody applies for a while
    await pgQuery(`UPDATE ${users} SET name = 'v1' WHERE id = 4`);
    await waitFor(async () => (await checks('3s', 'inconsistent')) > before, {
      timeoutMs: 30_000,
      description: 'the gap reported at 3s',
    });
    expect(await metric('cdc_cache_audit_inconsistent_seconds_count')).toBe(0);
    worker = spawnWorker({ ...workerEnv, CDC_CACHE_HTTP_PORT: String(workerPort) });
    // Assess
    await waitFor(async () => (await metric('cdc_cache_audit_inconsistent_seconds_count')) >= 1, {
      timeoutMs: 50_000,
      description: 'the gap resolved',
    });
    expect(await cache.peek('user', { id: 4 })).toBeUndefined();
    expect(await metric('cdc_cache_audit_inconsistent_seconds_sum')).toBeGreaterThan(3);
    expect(auditor.output()).toMatch(/audit: \d+ changes audited; consistent within 3s/);
  });

  it('never wrote to Redis: the read-only user was never refused a command', async () => {
    // Assess: the ACL refuses a write to the auditor's user, and logged no refusal of the auditor
    const asAuditor = new Redis(redisServer.url, { username: 'auditor', password: 'audit-secret' });
    await expect(asAuditor.set(`${prefix}probe`, '1')).rejects.toThrow(/NOPERM/);
    asAuditor.disconnect();
    const log = (await admin.call('ACL', 'LOG')) as unknown[][];
    const refused = log.filter((entry) => entry.includes('auditor') && !entry.includes('set'));
    expect(refused).toEqual([]);
    expect(await metric('cdc_cache_audit_read_errors_total')).toBe(0);
  });
});
