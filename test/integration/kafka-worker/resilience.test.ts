// Delivery guarantees of `cdc-cache worker kafka` on the real chain (PostgreSQL → Debezium → Kafka → worker →
// Redis): a SIGKILLed worker, a Redis outage, and a consumer group rebalance lose no invalidation (and, across
// the kill, no near cache keeps a value older than the database).
import { createClient } from 'redis';
import { type Cache, createCache, type EntityDefinitions, keyspaceFromData } from '../../../src';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import {
  BROKERS,
  deleteTopics,
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
  waitUntilReady,
  writeKeyspace,
} from './kafka-chain';

jest.setTimeout(180_000);

const table = uniqueName('items');
const entities = { item: { key: 'item:{id}', ttl: '10m', sources: [{ table: `public.${table}` }] } };
const keyspaceFile = writeKeyspace(entities);
const keyspace = keyspaceFromData({ entities });
const range = (from: number, count: number) => Array.from({ length: count }, (_, index) => from + index);

let connector: TestConnector;
const workers: WorkerProcess[] = [];

async function startWorker(env: Record<string, string>): Promise<{ worker: WorkerProcess; port: number }> {
  const port = await freePort();
  const worker = spawnWorker({
    CDC_CACHE_KEYSPACE: keyspaceFile,
    CDC_CACHE_REDIS_URL: REDIS_URL,
    CDC_CACHE_KAFKA_BROKERS: BROKERS.join(','),
    CDC_CACHE_KAFKA_TOPICS: connector.topic(table),
    CDC_CACHE_KAFKA_SESSION_TIMEOUT_MS: '6000',
    CDC_CACHE_HTTP_PORT: String(port),
    ...env,
  });
  workers.push(worker);
  await waitUntilReady(port, worker);
  return { worker, port };
}

/** Fill one entry per id through the SDK. */
async function fillAll(cache: Cache<EntityDefinitions, unknown>, ids: number[]): Promise<void> {
  await Promise.all(ids.map((id) => cache.get('item', { id }, async () => ({ id, v: 0 }))));
  const cached = await Promise.all(ids.map((id) => cache.peek('item', { id })));
  expect(cached.filter((value) => value === undefined)).toEqual([]);
}

async function updateEach(ids: number[], pauseMs = 0): Promise<void> {
  for (const id of ids) {
    await pgQuery(`UPDATE ${table} SET v = v + 1 WHERE id = $1`, [id]);
    if (pauseMs > 0) await new Promise((done) => setTimeout(done, pauseMs));
  }
}

async function allGone(
  cache: ReturnType<typeof createCache>,
  ids: number[],
  description: string,
): Promise<void> {
  let left: number[] = ids;
  await waitFor(
    async () => {
      const cached = await Promise.all(left.map((id) => cache.peek('item', { id })));
      left = left.filter((_, index) => cached[index] !== undefined);
      return left.length === 0;
    },
    { timeoutMs: 90_000, description: `${description} (still cached: ${left.slice(0, 10).join(', ')}…)` },
  );
}

/** The latest partition assignment a worker logged (the consumer logs each group join). */
function lastAssignment(worker: WorkerProcess): Record<string, number[]> | undefined {
  let assignment: Record<string, number[]> | undefined;
  for (const line of worker.output().split('\n')) {
    if (!line.includes('joined the group')) continue;
    try {
      assignment = (JSON.parse(line) as { memberAssignment?: Record<string, number[]> }).memberAssignment;
    } catch {
      // not a JSON log line
    }
  }
  return assignment;
}

beforeAll(async () => {
  await pgQuery(`CREATE TABLE ${table} (id int PRIMARY KEY, v int NOT NULL DEFAULT 0)`);
  connector = await startPostgresConnector([table]);
  await pgQuery(`INSERT INTO ${table} (id) SELECT generate_series(1, 20)`);
  await waitForTopic(connector.topic(table));
}, 180_000);

afterAll(async () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill('SIGKILL');
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  await deleteTopics([connector.topic(table)]);
}, 120_000);

describe('worker kafka resilience', () => {
  it('loses no invalidation when a worker is SIGKILLed mid-stream and restarted', async () => {
    // Prepare
    const prefix = `${uniqueName('kill')}:`;
    const group = uniqueName('group');
    const ids = range(1000, 200);
    await pgQuery(`INSERT INTO ${table} (id) SELECT generate_series(1000, 1199)`);
    const cache = createCache({ redis: REDIS_URL, keyspace, prefix });
    const first = await startWorker({ CDC_CACHE_KEY_PREFIX: prefix, CDC_CACHE_KAFKA_GROUP_ID: group });
    await fillAll(cache, ids);
    // Readers with near caches (ioredis, node-redis) holding every row in memory across the kill.
    const nodeRedis = await createClient({ url: REDIS_URL }).connect();
    const nearReaders = [REDIS_URL, nodeRedis].map((redis) =>
      createCache({ redis, keyspace, prefix, nearCache: { maxEntries: 1_000, ttl: '10m', heartbeat: '5s' } }),
    );
    for (const reader of nearReaders) {
      await waitFor(() => reader.nearCache!.stats().up, { description: 'the near cache up' });
      await fillAll(reader, ids);
      await reader.nearCache!.sync();
      await fillAll(reader, ids);
    }
    const heldInMemory = nearReaders.map((reader) => reader.nearCache!.stats().entries);

    // Act: kill the worker while the updates stream in, then start another one in the same group
    const updates = updateEach(ids, 5);
    await waitFor(async () => (await cache.peek('item', { id: 1000 })) === undefined, {
      description: 'the first worker applying the stream',
    });
    first.worker.child.kill('SIGKILL');
    await first.worker.exited;
    await updates;
    await startWorker({ CDC_CACHE_KEY_PREFIX: prefix, CDC_CACHE_KAFKA_GROUP_ID: group });

    // Assess
    await allGone(cache, ids, 'every updated row invalidated after the restart');
    const rows = new Map(
      (await pgQuery(`SELECT id, v FROM ${table} WHERE id >= 1000`)).map((row) => [row['id'] as number, row]),
    );
    const staleInMemory: string[] = [];
    for (const reader of nearReaders) {
      await reader.nearCache!.sync();
      for (const id of ids) {
        const served = await reader.get('item', { id }, async () => rows.get(id));
        if (JSON.stringify(served) !== JSON.stringify(rows.get(id)))
          staleInMemory.push(`${id}: ${JSON.stringify(served)}`);
      }
    }
    expect(heldInMemory).toEqual([ids.length, ids.length]);
    expect(staleInMemory).toEqual([]);
    for (const reader of nearReaders) await reader.close();
    await nodeRedis.close();
    await cache.close();
  });

  it('loses no invalidation while Redis is stopped and restarted', async () => {
    // Prepare: a throwaway Redis that this test may stop
    const redis: RedisProcess = await startRedisProcess();
    const prefix = `${uniqueName('outage')}:`;
    const before = range(2000, 20);
    const during = range(2020, 20);
    await pgQuery(`INSERT INTO ${table} (id) SELECT generate_series(2000, 2039)`);
    const { worker } = await startWorker({
      CDC_CACHE_KEY_PREFIX: prefix,
      CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
      CDC_CACHE_REDIS_URL: redis.url,
      CDC_CACHE_RETRY_MAX_MS: '8000',
    });
    const cache = createCache({ redis: redis.url, keyspace, prefix });
    await fillAll(cache, before);
    await updateEach(before);
    await allGone(cache, before, 'changes before the outage applied');
    await cache.close();

    try {
      // Act: Redis goes down while changes keep coming
      await redis.stop();
      await updateEach(during);
      // Wait for the worker's 4th backoff (about 4 s): time to bring Redis back and fill entries the
      // pending changes make stale, before the worker retries.
      await waitFor(() => /"attempt":4/.test(worker.output()), {
        timeoutMs: 90_000,
        description: 'the 4th backoff',
      });
      await redis.start();
      const refilled = createCache({ redis: redis.url, keyspace, prefix });
      await fillAll(refilled, during);

      // Assess: every change made during the outage is applied once Redis is back
      await allGone(refilled, during, 'changes made during the outage applied after it');
      // Logged once no partition is paused any more, which can follow the last key's deletion by a moment.
      await waitFor(() => worker.output().includes('applying again'), {
        timeoutMs: 30_000,
        description: 'the worker reporting that it applies again',
      });
      expect(worker.child.exitCode).toBeNull();
      await refilled.close();
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await redis.stop();
    }
  });

  it('splits the partitions between two workers and loses nothing across rebalances', async () => {
    // Prepare
    const prefix = `${uniqueName('group')}:`;
    const group = uniqueName('group');
    const ids = range(3000, 300);
    await pgQuery(`INSERT INTO ${table} (id) SELECT generate_series(3000, 3299)`);
    const cache = createCache({ redis: REDIS_URL, keyspace, prefix });
    const env = { CDC_CACHE_KEY_PREFIX: prefix, CDC_CACHE_KAFKA_GROUP_ID: group };
    const a = await startWorker(env);
    await fillAll(cache, ids);

    // Act: a second worker joins while changes stream in (rebalance 1) ...
    const firstHalf = updateEach(ids.slice(0, 150), 2);
    const b = await startWorker(env);
    await firstHalf;
    await waitFor(
      () => {
        const [left, right] = [lastAssignment(a.worker), lastAssignment(b.worker)];
        const count = (assignment?: Record<string, number[]>) =>
          Object.values(assignment ?? {}).flat().length;
        return count(left) > 0 && count(right) > 0 && count(left) + count(right) === 3;
      },
      { description: 'both workers owning partitions' },
    );
    const split = [lastAssignment(a.worker), lastAssignment(b.worker)].map((assignment) =>
      Object.values(assignment!).flat(),
    );

    // ... and the first one leaves while more changes stream in (rebalance 2)
    const secondHalf = updateEach(ids.slice(150), 2);
    const stoppedAt = Date.now();
    a.worker.child.kill('SIGTERM');
    const exitCode = await a.worker.exited;
    const stopMs = Date.now() - stoppedAt;
    await secondHalf;

    // Assess
    expect(new Set(split.flat())).toEqual(new Set([0, 1, 2]));
    expect(exitCode).toBe(0);
    expect(stopMs).toBeLessThan(25_000);
    await allGone(cache, ids, 'every change applied across both rebalances');
    b.worker.child.kill('SIGTERM');
    expect(await b.worker.exited).toBe(0);
    await cache.close();
  });
});
