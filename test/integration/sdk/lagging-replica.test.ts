// Readers that load from a lagging replica: the stack's PostgreSQL hot standby (commits applied a few hundred
// ms after the primary). Writers write to the primary, Debezium captures the primary, the real Kafka worker
// invalidates Redis, and reader processes read through createCache with a loader on the standby. After
// quiescence every cached entry is compared with the primary.
//
// Without `ctx.readPosition` a reader that misses right after an invalidation loads the old row from the
// standby and caches it for good: the test asserts that it finds such entries (the hole is real on this
// stack). With it, the loader reports the standby's snapshot (`readPostgresPosition`) and none may be left.
//
// The standby always lags by its apply delay; for the last change of each row the test also freezes its
// replay (pg_wal_replay_pause) until the worker has applied every invalidation, so that the outcome does not
// depend on the change stream being faster than the apply delay on a loaded machine. It freezes either before
// those changes, or between the rows' changes and their commit: there the standby's replay position is past
// every change's LSN while the rows are still old, which an LSN position cannot see and a snapshot can. The
// readers keep reading while the standby resumes and replays the commit after its apply delay.
import { Client } from 'pg';
import { createCache, keyspaceFromData } from '../../../src';
import { type ServedValue, startReplicaReaders } from '../../support/replica-readers';
import { stackEndpoints } from '../../support/stack-endpoints';
import {
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
} from '../kafka-worker/kafka-chain';

// Each case takes 10 to 40 s on a loaded 2-core machine (most of it the change stream); the bound is for worse.
jest.setTimeout(90_000);

const endpoints = stackEndpoints();
const ROWS = 8;
const READER_PROCESSES = 3;
const LOOPS_PER_PROCESS = 4;
const WRITE_MS = 2_000;

/**
 * Where the standby's replay is frozen for the last change of each row:
 * - `before`: before the changes (a replica behind by whole transactions, the usual lag);
 * - `inside`: after the rows' own WAL records, before their transaction's commit record (a replica in the
 *   middle of a transaction: its replay position is past each change's own LSN, the rows are still old).
 */
type Freeze = 'before' | 'inside';

interface Case {
  readonly title: string;
  readonly mode: 'delete' | 'refresh';
  readonly keyColumn: 'id' | 'email';
  readonly readPosition: boolean;
  readonly freeze: Freeze;
  /** A near cache in every reader, on this client library (it must serve nothing stale either). */
  readonly nearCacheClient?: 'ioredis' | 'node-redis';
  readonly table: string;
  readonly entity: string;
}

const SHAPES = [
  { title: 'delete mode', mode: 'delete', keyColumn: 'id' },
  { title: 'refresh mode', mode: 'refresh', keyColumn: 'id' },
  { title: 'a secondary key (user by email)', mode: 'delete', keyColumn: 'email' },
] as const;
const VARIANTS = [
  { readPosition: false, freeze: 'before' },
  { readPosition: true, freeze: 'before' },
] as const;
const CASES: Case[] = [
  ...SHAPES.flatMap((shape) => VARIANTS.map((variant) => ({ ...shape, ...variant }))),
  { ...SHAPES[0], readPosition: true, freeze: 'inside' as const },
  { ...SHAPES[1], readPosition: true, freeze: 'inside' as const },
  { ...SHAPES[2], readPosition: true, freeze: 'inside' as const },
  // The same with a near cache in every reader: what memory serves after quiescence is checked too.
  { ...SHAPES[0], readPosition: true, freeze: 'inside' as const, nearCacheClient: 'ioredis' as const },
  { ...SHAPES[1], readPosition: true, freeze: 'before' as const, nearCacheClient: 'node-redis' as const },
].map((c, index) => ({ ...c, table: uniqueName(`lag${index}`), entity: `lag${index}` }));
const prefix = `${uniqueName('lag')}:`;
const entities = Object.fromEntries(
  CASES.map((c) => [
    c.entity,
    {
      key: c.keyColumn === 'id' ? `${c.entity}:{id}` : `${c.entity}-by-email:{email}`,
      ttl: '10m',
      mode: c.mode,
      sources: [{ table: `public.${c.table}` }],
    },
  ]),
);
const cache = createCache({ redis: REDIS_URL, keyspace: keyspaceFromData({ entities }), prefix });

const emailOf = (id: number, n: number) => `u${id}-${n % 2}@example.com`;
const ids = Array.from({ length: ROWS }, (_, i) => i + 1);

let connector: TestConnector;
let worker: WorkerProcess;
let httpPort: number;
let primary: Client;
let standby: Client;
/** Change events the worker has to have applied, across the cases so far. */
let expectedEvents = 0;

/** Change events the worker applied or skipped for our tables (its /metrics). */
async function eventsHandled(): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${httpPort}/metrics`).catch(() => null);
  const text = response?.ok ? await response.text() : '';
  const ours = new Set(CASES.map((c) => `public.${c.table}`));
  return [
    ...text.matchAll(
      /^cdc_cache_records_total\{runtime="kafka-worker",source="([^"]+)",result="(?:applied|skipped)"\} (\d+)/gm,
    ),
  ]
    .filter((match) => ours.has(match[1]!))
    .reduce((sum, match) => sum + Number(match[2]), 0);
}

/** Wait until the worker has applied every change so far. */
async function waitUntilApplied(): Promise<void> {
  await waitFor(
    async () => {
      if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
      return (await eventsHandled()) >= expectedEvents;
    },
    { timeoutMs: 30_000, description: `worker applied ${expectedEvents} change events` },
  );
}

/** Wait until the worker has applied every change so far and the standby has replayed them. */
async function quiesce(): Promise<void> {
  const target = (await primary.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]!
    .lsn;
  await waitUntilApplied();
  await waitFor(
    async () =>
      (await standby.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS caught_up', [target])).rows[0]
        ?.caught_up === true,
    { timeoutMs: 30_000, description: `standby replayed ${target}` },
  );
}

/** The mean time from a commit to Redis acknowledging its invalidation, from the worker's histogram. */
async function meanChangeAgeMs(): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const sum = Number(text.match(/^cdc_cache_engine_lag_seconds_sum\{[^}]*\} (\S+)/m)?.[1] ?? 0);
  const count = Number(text.match(/^cdc_cache_engine_lag_seconds_count\{[^}]*\} (\S+)/m)?.[1] ?? 1);
  return Math.round((sum / count) * 1000);
}

beforeAll(async () => {
  standby = new Client({ ...endpoints.postgresStandby, connectionTimeoutMillis: 5_000 });
  await standby.connect().catch((error: Error) => {
    throw new Error(
      `no PostgreSQL standby on 127.0.0.1:${endpoints.postgresStandby.port} (npm run stack:up): ${error.message}`,
    );
  });
  expect((await standby.query('SELECT pg_is_in_recovery() AS standby')).rows[0].standby).toBe(true);
  primary = new Client({ ...endpoints.postgres, connectionTimeoutMillis: 5_000 });
  await primary.connect();
  for (const c of CASES) {
    await pgQuery(`CREATE TABLE ${c.table} (id int PRIMARY KEY, email text NOT NULL UNIQUE, n int NOT NULL)`);
    // The old email must be in the change event for its key to be dropped.
    await pgQuery(`ALTER TABLE ${c.table} REPLICA IDENTITY FULL`);
  }
  connector = await startPostgresConnector(
    CASES.map((c) => c.table),
    { 'tombstones.on.delete': 'false' },
  );
  for (const c of CASES) {
    await pgQuery(
      `INSERT INTO ${c.table} SELECT id, 'u' || id || '-0@example.com', 0 FROM generate_series(1, ${ROWS}) id`,
    );
    expectedEvents += ROWS;
  }
  await Promise.all(CASES.map((c) => waitForTopic(connector.topic(c.table))));
  httpPort = await freePort();
  worker = spawnWorker({
    CDC_CACHE_KEYSPACE: writeKeyspace(entities),
    CDC_CACHE_KEY_PREFIX: prefix,
    CDC_CACHE_REDIS_URL: REDIS_URL,
    CDC_CACHE_KAFKA_BROKERS: endpoints.kafka.brokers.join(','),
    CDC_CACHE_KAFKA_TOPIC_PATTERN: `^${connector.topicPrefix}\\.public\\..*`,
    CDC_CACHE_KAFKA_GROUP_ID: uniqueName('group'),
    CDC_CACHE_HTTP_PORT: String(httpPort),
  });
  await waitUntilReady(httpPort, worker);
  // The inserts reach the worker and the standby before anything is cached.
  await quiesce();
}, 180_000);

afterAll(async () => {
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${CASES.map((c) => c.table).join(', ')}`);
  await deleteTopics(CASES.map((c) => connector.topic(c.table)));
  await cache.redis.unlink(...CASES.map((c) => loadsKeyOf(c)));
  await Promise.all([primary?.end(), standby?.end(), cache.close()]);
}, 120_000);

/** The key parameters a case reads: every id, or both emails each row takes in turn. */
function paramsOf(c: Case): Record<string, string | number>[] {
  return c.keyColumn === 'id'
    ? ids.map((id) => ({ id }))
    : ids.flatMap((id) => [{ email: emailOf(id, 0) }, { email: emailOf(id, 1) }]);
}

/** Update rows at random for `WRITE_MS` while the standby lags by its apply delay. */
async function writeLoop(table: string): Promise<void> {
  const deadline = Date.now() + WRITE_MS;
  while (Date.now() < deadline) {
    await primary.query(bumpSql(table), [ids[Math.floor(Math.random() * ROWS)]]);
    expectedEvents += 1;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function bumpSql(table: string): string {
  return `UPDATE ${table} SET n = n + 1, email = 'u' || id || '-' || ((n + 1) % 2) || '@example.com' WHERE id = $1`;
}

/**
 * The last changes of every row, in one transaction, with the standby's replay frozen at `freeze`: an update
 * that moves the row to its other email (so both email keys change), then, for odd ids, a delete (refresh
 * mode turns a delete into a tombstone too). Every key the readers read is changed here, so no entry filled
 * during the write loop (where the apply delay alone makes the standby lag) outlives it.
 */
async function lastChangesThenFreeze(table: string, freeze: Freeze): Promise<void> {
  if (freeze === 'before') await pauseReplay();
  await primary.query('BEGIN');
  try {
    for (const id of ids) {
      await primary.query(bumpSql(table), [id]);
      expectedEvents += 1;
      if (id % 2 === 1) {
        await primary.query(`DELETE FROM ${table} WHERE id = $1`, [id]);
        expectedEvents += 1;
      }
    }
    if (freeze === 'inside') {
      const written = (await primary.query('SELECT pg_current_wal_insert_lsn()::text AS lsn')).rows[0].lsn;
      // Another transaction's commit flushes the WAL so far (ours included) to the standby, which replays
      // our row changes at once and then waits out its apply delay before that commit.
      await pgQuery('SELECT txid_current()');
      await waitFor(
        async () =>
          (await standby.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS past', [written])).rows[0]
            .past,
        { timeoutMs: 15_000, description: `standby replayed the row changes up to ${written}` },
      );
      // Replay stops before its next record, which is at the latest our commit.
      await pauseReplay();
    }
    await primary.query('COMMIT');
  } catch (error) {
    await primary.query('ROLLBACK');
    throw error;
  }
}

/**
 * Pause the standby's replay and wait until it HAS paused: pg_wal_replay_pause() only requests it, and a
 * standby waiting out its apply delay may still replay further records (then the row changes of a transaction
 * written next could be replayed before the pause, leaving its commit, the known limit, as the only guard).
 */
async function pauseReplay(): Promise<void> {
  await standby.query('SELECT pg_wal_replay_pause()');
  await waitFor(
    async () =>
      (await standby.query("SELECT pg_get_wal_replay_pause_state() = 'paused' AS paused")).rows[0]?.paused ===
      true,
    { timeoutMs: 15_000, description: 'the standby paused its replay' },
  );
}

/** True when every key of the case holds a value; otherwise throws naming the ones that do not. */
async function everyKeyCached(c: Case): Promise<true> {
  const missing: string[] = [];
  for (const params of paramsOf(c)) {
    const key = cache.keyOf(c.entity, params as never);
    if ((await cache.peek(c.entity, params as never)) === undefined) missing.push(key);
  }
  if (missing.length > 0) throw new Error(`not cached: ${missing.join(', ')}`);
  return true;
}

/** The Redis counter of the case's loads (the readers increment it). */
function loadsKeyOf(c: Case): string {
  return `${prefix}${c.entity}:loads`;
}

async function loadsSoFar(key: string): Promise<number> {
  return Number((await cache.redis.get(key)) ?? 0);
}

/** Every cached entry of the case that differs from the primary's row (or from its absence). */
async function staleEntries(c: Case): Promise<string[]> {
  const stale: string[] = [];
  for (const params of paramsOf(c)) {
    const cached = (await cache.peek(c.entity, params as never)) as
      | Record<string, unknown>
      | null
      | undefined;
    if (cached === undefined) continue;
    const { rows } = await primary.query(`SELECT id, email, n FROM ${c.table} WHERE ${c.keyColumn} = $1`, [
      params[c.keyColumn],
    ]);
    const truth = rows[0] ?? null;
    const seen = cached === null ? null : { id: cached['id'], email: cached['email'], n: cached['n'] };
    if (JSON.stringify(seen) !== JSON.stringify(truth)) {
      const key = cache.keyOf(c.entity, params as never);
      stale.push(`${key}: cached ${JSON.stringify(seen)}, primary ${JSON.stringify(truth)}`);
    }
  }
  return stale;
}

/** What the readers served after quiescence (memory first) that differs from the primary's row. */
async function staleServed(c: Case, served: readonly ServedValue[]): Promise<string[]> {
  const stale: string[] = [];
  for (const { params, value } of served) {
    const { rows } = await primary.query(`SELECT id, email, n FROM ${c.table} WHERE ${c.keyColumn} = $1`, [
      params[c.keyColumn],
    ]);
    const truth = rows[0] ?? null;
    const row = value as Record<string, unknown> | null;
    const seen = row === null ? null : { id: row['id'], email: row['email'], n: row['n'] };
    if (JSON.stringify(seen) !== JSON.stringify(truth))
      stale.push(
        `${JSON.stringify(params)}: served ${JSON.stringify(seen)}, primary ${JSON.stringify(truth)}`,
      );
  }
  return stale;
}

function title(c: Case): string {
  if (c.nearCacheClient)
    return `${c.title}: with readPosition (standby frozen ${c.freeze === 'inside' ? 'between the changes and their commit' : 'before the changes'}) and a near cache on ${c.nearCacheClient} in every reader, nothing stale is cached or served`;
  if (!c.readPosition)
    return `${c.title}: without readPosition, entries are stale after quiescence (the hole)`;
  if (c.freeze === 'before') return `${c.title}: with readPosition, no entry is stale after quiescence`;
  return `${c.title}: with readPosition and the standby frozen between the changes and their commit, no entry is stale`;
}

describe('readers that load from a lagging PostgreSQL standby', () => {
  const run = async (c: Case) => {
    // Prepare: reader processes on the standby; every key cached
    const loadsKey = loadsKeyOf(c);
    const keys = paramsOf(c);
    let stats: Awaited<ReturnType<typeof readers.stop>> | undefined;
    const readers = await startReplicaReaders(READER_PROCESSES, {
      redisUrl: REDIS_URL,
      prefix,
      entities,
      entity: c.entity,
      keyColumn: c.keyColumn,
      params: keys,
      table: c.table,
      standby: endpoints.postgresStandby,
      readPosition: c.readPosition,
      ...(c.nearCacheClient ? { nearCacheClient: c.nearCacheClient } : {}),
      loadsKey,
      concurrency: LOOPS_PER_PROCESS,
      pauseMs: 2,
    });
    try {
      await waitFor(() => everyKeyCached(c), {
        timeoutMs: 15_000,
        description: `every ${c.entity} key cached`,
      });

      // Act: writes on the primary while the readers read the standby; the last ones while it is frozen
      await writeLoop(c.table);
      try {
        await lastChangesThenFreeze(c.table, c.freeze);
        await waitUntilApplied();
        // The invalidations are in Redis and the standby still shows the old rows: wait until the readers
        // have refilled every key, or (when fills are refused) loaded from the frozen standby many times.
        const loads = await loadsSoFar(loadsKey);
        await waitFor(
          async () =>
            (await everyKeyCached(c).catch(() => false)) ||
            (await loadsSoFar(loadsKey)) >= loads + 2 * keys.length,
          { timeoutMs: 15_000, description: `${c.entity} refilled, or loaded from the frozen standby` },
        );
      } finally {
        await standby.query('SELECT pg_wal_replay_resume()');
      }
      // The readers read on while the standby resumes: it replays the last transaction's row changes at once
      // and holds their commit for its apply delay, so fills in that window read old rows at a replay
      // position past every change (what a change-LSN check took for fresh).
      await quiesce();
      // Once the standby has caught up, fills are cached again (a check that refused them for good would
      // leave nothing stale, and nothing cached either).
      await waitFor(() => everyKeyCached(c), {
        timeoutMs: 30_000,
        description: `every ${c.entity} key cached again`,
      });
      stats = await readers.stop();
    } catch (error) {
      const { errors } = stats ?? (await readers.stop());
      throw new Error(`${(error as Error).message}\nreader errors: ${errors.join('\n') || 'none'}`);
    }

    // Assess
    if (!stats) throw new Error('the readers were not stopped');
    expect(stats.errors).toEqual([]);
    const stale = await staleEntries(c);
    const context = `${stats.loads} loads, ${stats.reads} reads, mean change age ${await meanChangeAgeMs()} ms`;
    if (c.nearCacheClient) {
      const served = await staleServed(c, stats.served);
      expect({ stale, served, context }).toEqual({ stale: [], served: [], context });
      expect(stats.served).toHaveLength(READER_PROCESSES * keys.length);
      expect(stats.nearHits).toBeGreaterThan(0); // memory served during the run: it was tested
    } else if (c.readPosition) expect({ stale, context }).toEqual({ stale: [], context });
    else expect({ found: stale.length > 0, context }).toEqual({ found: true, context });
  };

  for (const c of CASES) it(title(c), () => run(c));
});
