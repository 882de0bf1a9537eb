import Redis from 'ioredis';
import type { ChangeEvent, Row } from '../../../src/core/change-event';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { defineKeyspace } from '../../../src/index';
import { type NearReaders, startNearCacheReaders } from '../../support/near-cache-readers';
import { SHARED_REDIS_URL, uniquePrefix } from './sdk-test-kit';

// Reader PROCESSES with near caches on hot keys, while the worker's engine applies the changes with
// duplicates and reorderings, is killed mid-batch (its connection cut) and restarted (the unacknowledged
// batch applied again), and the readers' tracking connections are killed. After quiescence no reader
// serves a value older than the database, from memory or from Redis.
const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.users' }] },
});
const IDS = Array.from({ length: 12 }, (_, index) => index + 1);
const admin = new Redis(SHARED_REDIS_URL);
let readers: NearReaders | undefined;
afterAll(async () => {
  await readers?.stop();
  await admin.quit();
});

describe('near caches in several reader processes', () => {
  it('serve nothing older than the database after quiescence, through duplicates, reorderings, a killed worker and killed tracking connections', async () => {
    // Prepare
    const prefix = uniquePrefix('near-processes');
    const dbPrefix = `${prefix}db:`;
    const rows = new Map<number, Row>(IDS.map((id) => [id, { id, n: 0 }]));
    await Promise.all(IDS.map((id) => admin.set(`${dbPrefix}${id}`, JSON.stringify(rows.get(id)))));
    readers = await startNearCacheReaders(3, {
      mode: 'readers',
      redisUrl: SHARED_REDIS_URL,
      prefix,
      dbPrefix,
      ids: IDS,
      concurrency: 3,
      pauseMs: 1,
    });
    let version = 0;
    const write = async (id: number): Promise<ChangeEvent<null>> => {
      const before = rows.get(id)!;
      const after = { id, n: (before['n'] as number) + 1 };
      rows.set(id, after);
      await admin.set(`${dbPrefix}${id}`, JSON.stringify(after));
      version += 1;
      return {
        source: 'postgres',
        table: 'public.users',
        op: 'update',
        before,
        after,
        key: null,
        version: String(version).padStart(20, '0'),
        committedAt: Date.now(),
        position: null,
      };
    };
    let workerConnection = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0 });
    let engine: ReturnType<typeof createInvalidationEngine> = createInvalidationEngine({
      keyspace,
      redis: workerConnection,
      prefix,
    });
    const applied: ChangeEvent<null>[] = [];
    let kills = 0;

    // Act
    for (let round = 0; round < 40; round++) {
      const batch: ChangeEvent<null>[] = [];
      for (let n = 0; n < 4; n++) batch.push(await write(IDS[(round * 5 + n * 3) % IDS.length]!));
      // Reordered within the batch, with a duplicate of an event applied before.
      const delivery = [...batch].reverse();
      if (applied.length > 0) delivery.push(applied[(round * 7) % applied.length]!);
      if (round % 10 === 5) {
        // The worker dies mid-batch: its connection cut while it applies; nothing was acknowledged, so the
        // restarted worker applies the whole batch again.
        const dying = engine.apply(delivery).catch(() => undefined);
        workerConnection.disconnect();
        await dying;
        await engine.close().catch(() => undefined);
        workerConnection = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 0 });
        engine = createInvalidationEngine({ keyspace, redis: workerConnection, prefix });
        kills += 1;
      }
      const outcomes = await engine.apply(delivery);
      expect(outcomes.every((outcome) => outcome.status === 'applied')).toBe(true);
      applied.push(...batch);
      if (round % 13 === 7) {
        const ids = (await readers.ask({ type: 'ids' }, 'ids')).flatMap((reply) => reply.ids);
        await Promise.all(ids.map((id) => admin.client('KILL', 'ID', String(id)).catch(() => 0)));
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const checks = await readers.ask({ type: 'check' }, 'checked');

    // Assess
    expect(kills).toBe(4);
    expect(checks.flatMap((check) => check.stale)).toEqual([]);
    expect(checks.flatMap((check) => check.errors)).toEqual([]);
    // Memory served part of the final check: it checked something.
    expect(checks.reduce((sum, check) => sum + check.nearHits, 0)).toBeGreaterThan(0);
    await engine.close();
    workerConnection.disconnect();
  });
});
