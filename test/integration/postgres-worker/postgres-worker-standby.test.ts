// Issue 15 through the pgoutput worker: a reader that loads from the stack's hot standby while it has replayed
// a transaction's row change but not yet its commit (its replay position is past the change's LSN, the row is
// still old there). The worker has applied the change; the fill must be served but not cached, whether the
// loader reports the standby's snapshot (refused: the transaction had not finished there) or only its replay
// LSN (refused: an LSN cannot show a commit). Once the standby has replayed the commit, fills are cached.
import { Redis } from 'ioredis';
import { Client } from 'pg';
import {
  type CacheEventMap,
  createCache,
  keyspaceFromData,
  type ReadPositionReporter,
  readPostgresPosition,
} from '../../../src/index';
import { generationKey, versionKey } from '../../../src/keyspace';
import { connectPostgres } from '../../support/database-clients';
import { stackEndpoints } from '../../support/stack-endpoints';
import { waitFor } from '../../support/wait-for';
import { postgresWorkerFixture } from './postgres-worker-fixture';

const redis = new Redis(stackEndpoints().redis.url);
afterAll(() => redis.quit());

const keyspace = (table: string) => ({
  entities: {
    user: { key: 'user:{id}', ttl: '5m', sources: [{ table }] },
    profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table }] },
  },
});

type Row = { id: number; n: number } | null;

describe('cdc-cache worker postgres, readers on a standby', () => {
  test('a fill read between a change and its commit on the standby is not cached (delete and refresh mode)', async () => {
    // Prepare: a row cached from the standby, the worker streaming
    const fixture = await postgresWorkerFixture('standby', keyspace);
    const standby = new Client({ ...stackEndpoints().postgresStandby, connectionTimeoutMillis: 5_000 });
    await standby.connect();
    const other = await connectPostgres();
    let resumed = false;
    try {
      const { pg, table, prefix } = fixture;
      await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL)`);
      await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      await pg.query(`INSERT INTO ${table} VALUES (1, 0)`);
      const cache = createCache({ redis, keyspace: keyspaceFromData(fixture.keyspaceData), prefix });
      const refused: CacheEventMap['fill-refused'][] = [];
      cache.events.on('fill-refused', (event) => refused.push(event));
      const worker = fixture.startWorker();
      await worker.waitForLog('streaming from the replication slot').catch((error: Error) => {
        throw new Error(`${error.message}\n${worker.output()}`);
      });
      await waitUntilReplayed(standby, await currentLsn(pg));
      const readStandby = async (position: 'snapshot' | 'lsn', ctx: ReadPositionReporter) => {
        if (position === 'snapshot') ctx.readPosition(await readPostgresPosition(standby));
        else {
          const { rows } = await standby.query<{ lsn: string }>(
            'SELECT pg_last_wal_replay_lsn()::text AS lsn',
          );
          ctx.readPosition(rows[0]!.lsn);
        }
        const { rows } = await standby.query(`SELECT id, n FROM ${table} WHERE id = 1`);
        return (rows[0] ?? null) as Row;
      };

      // Act: the row changes in a transaction; the standby replays the change, then freezes before the commit
      await pg.query('BEGIN');
      const { rows } = await pg.query(
        `UPDATE ${table} SET n = 1 WHERE id = 1 RETURNING txid_current()::text AS xid`,
      );
      const xid = String(BigInt(rows[0].xid) % 2n ** 32n);
      const written = (await pg.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
      await other.query('SELECT txid_current()'); // a commit flushes our change record to the standby
      await waitUntilReplayed(standby, written);
      await pauseReplay(standby);
      await pg.query('COMMIT');
      for (const entity of ['user', 'profile'] as const) {
        const memory = versionKey(prefix, cache.keyOf(entity, { id: 1 }));
        await waitFor(async () => (await redis.get(memory))?.endsWith(`|${xid}`) === true, {
          description: `the worker applied transaction ${xid} to ${entity}:1`,
        });
      }
      // Refresh mode wrote the new image; an entry evicted (or expired) meanwhile leaves only the memory.
      await redis.del(cache.keyOf('profile', { id: 1 }));
      const frozen = {
        user: await cache.get('user', { id: 1 }, (ctx) => readStandby('snapshot', ctx)),
        profile: await cache.get('profile', { id: 1 }, (ctx) => readStandby('snapshot', ctx)),
        userByLsn: await cache.get('user', { id: 1 }, (ctx) => readStandby('lsn', ctx)),
      };
      const cachedWhileFrozen = {
        user: await cache.peek('user', { id: 1 }),
        profile: await cache.peek('profile', { id: 1 }),
      };
      await standby.query('SELECT pg_wal_replay_resume()');
      resumed = true;
      await waitUntilReplayed(standby, await currentLsn(pg));
      const caughtUp = await cache.get('user', { id: 1 }, (ctx) => readStandby('snapshot', ctx));

      // Assess: the frozen standby served the old row, which was not cached; the caught-up one is cached
      expect(frozen).toEqual({ user: { id: 1, n: 0 }, profile: { id: 1, n: 0 }, userByLsn: { id: 1, n: 0 } });
      expect(cachedWhileFrozen).toEqual({ user: undefined, profile: undefined });
      expect(refused.map((event) => event.reason)).toEqual(['invisible', 'invisible', 'invisible']);
      expect(caughtUp).toEqual({ id: 1, n: 1 });
      expect(await cache.peek('user', { id: 1 })).toEqual({ id: 1, n: 1 });
      await cache.close();
    } finally {
      if (!resumed) await standby.query('SELECT pg_wal_replay_resume()');
      await Promise.all([standby.end(), other.end()]);
      await fixture.cleanup();
    }
  }, 120_000);

  test('a fill read from a standby that has not replayed a TRUNCATE is not cached (the generation memory)', async () => {
    // Prepare: a row cached from the standby, the worker streaming
    const fixture = await postgresWorkerFixture('standbytrunc', keyspace);
    const standby = new Client({ ...stackEndpoints().postgresStandby, connectionTimeoutMillis: 5_000 });
    await standby.connect();
    let resumed = true;
    try {
      const { pg, table, prefix } = fixture;
      await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL)`);
      await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      await pg.query(`INSERT INTO ${table} VALUES (1, 0)`);
      const cache = createCache({ redis, keyspace: keyspaceFromData(fixture.keyspaceData), prefix });
      const refused: CacheEventMap['fill-refused'][] = [];
      cache.events.on('fill-refused', (event) => refused.push(event));
      const worker = fixture.startWorker();
      await worker.waitForLog('streaming from the replication slot').catch((error: Error) => {
        throw new Error(`${error.message}\n${worker.output()}`);
      });
      await waitUntilReplayed(standby, await currentLsn(pg));
      const readStandby = async (ctx: ReadPositionReporter) => {
        ctx.readPosition(await readPostgresPosition(standby));
        const { rows } = await standby.query(`SELECT id, n FROM ${table} WHERE id = 1`);
        return (rows[0] ?? null) as Row;
      };
      const generations = () =>
        Promise.all(['user', 'profile'].map((entity) => redis.get(generationKey(prefix, entity))));
      await cache.get('user', { id: 1 }, readStandby);
      const before = await generations();

      // Act: the standby freezes, the primary truncates in a transaction whose xid we know
      await pauseReplay(standby);
      resumed = false;
      await pg.query('BEGIN');
      const { rows } = await pg.query('SELECT txid_current()::text AS xid');
      await pg.query(`TRUNCATE ${table}`);
      await pg.query('COMMIT');
      const xid = String(BigInt(rows[0].xid) % 2n ** 32n);
      await waitFor(async () => (await generations()).every((generation, at) => generation !== before[at]), {
        description: 'the worker bumped both generations',
      });
      // The generation's own version memory (generationMemoryKey) holds the truncate.
      const memory = await redis.get(versionKey(prefix, generationKey(prefix, 'user')));
      const frozen = {
        user: await cache.get('user', { id: 1 }, readStandby),
        profile: await cache.get('profile', { id: 1 }, readStandby),
      };
      const cachedWhileFrozen = {
        user: await cache.peek('user', { id: 1 }),
        profile: await cache.peek('profile', { id: 1 }),
      };
      await standby.query('SELECT pg_wal_replay_resume()');
      resumed = true;
      await waitUntilReplayed(standby, await currentLsn(pg));
      const caughtUp = await cache.get('user', { id: 1 }, readStandby);

      // Assess: the truncate's xid is remembered; the frozen standby's old row was served, not cached
      expect(frozen).toEqual({ user: { id: 1, n: 0 }, profile: { id: 1, n: 0 } });
      expect(cachedWhileFrozen).toEqual({ user: undefined, profile: undefined });
      expect(memory?.endsWith(`|${xid}`)).toBe(true);
      expect(refused.map((event) => event.reason)).toEqual(['invisible', 'invisible']);
      expect(caughtUp).toBeNull();
      expect(await cache.peek('user', { id: 1 })).toBeNull();
      await cache.close();
    } finally {
      if (!resumed) await standby.query('SELECT pg_wal_replay_resume()');
      await standby.end();
      await fixture.cleanup();
    }
  }, 120_000);
});

async function currentLsn(pg: Client): Promise<string> {
  return (await pg.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
}

async function waitUntilReplayed(standby: Client, lsn: string): Promise<void> {
  await waitFor(
    async () =>
      (await standby.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS past', [lsn])).rows[0].past ===
      true,
    { timeoutMs: 30_000, description: `standby replayed ${lsn}` },
  );
}

/** Pause the standby's replay and wait until it HAS paused (pg_wal_replay_pause() only requests it). */
async function pauseReplay(standby: Client): Promise<void> {
  await standby.query('SELECT pg_wal_replay_pause()');
  await waitFor(
    async () =>
      (await standby.query("SELECT pg_get_wal_replay_pause_state() = 'paused' AS paused")).rows[0]?.paused ===
      true,
    { timeoutMs: 15_000, description: 'the standby paused its replay' },
  );
}
