// A TRUNCATE and readers on a lagging replica (issue 15, the generation bump): Debezium captures the primary,
// the real Kafka worker bumps each entity's generation, and the loaders read the stack's hot standby, frozen
// (pg_wal_replay_pause) before the TRUNCATE. Every key then misses, takes a lease under the new generation
// and loads the OLD row from the standby. The fill must be served but not cached: with a snapshot position
// (the truncate's transaction had not finished there: `invisible`), in delete and refresh mode and on a
// secondary key, and without a position within the entity's `maxReplicaLag` (`replica-lag`). A loader that
// reports nothing, on an entity without `maxReplicaLag`, caches the old rows: plain cache-aside's hole, shown
// so that the test is known to freeze the standby for real. Once the standby has replayed the TRUNCATE, the
// snapshot fills are cached again (the rows are gone: not-found).
import { Client, Pool } from 'pg';
import {
  type CacheEventMap,
  createCache,
  keyspaceFromData,
  type LoaderContext,
  readPostgresPosition,
} from '../../../src';
import { generationKey, type KeyValue } from '../../../src/keyspace';
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
  waitUntilConsumed,
  waitUntilReady,
  writeKeyspace,
} from '../kafka-worker/kafka-chain';

jest.setTimeout(120_000);

const endpoints = stackEndpoints();
const ROWS = 4;
const ids = Array.from({ length: ROWS }, (_, i) => i + 1);
const table = uniqueName('lagtrunc');
const prefix = `${uniqueName('lagtrunc')}:`;
const source = [{ table: `public.${table}` }];
/** Long enough that the reads after the truncate fall inside it, short enough to wait out after the inserts. */
const MAX_REPLICA_LAG_MS = 10_000;

type Position = 'snapshot' | 'none';
interface Reader {
  readonly entity: string;
  readonly keyColumn: 'id' | 'email';
  readonly position: Position;
}
const READERS: readonly Reader[] = [
  { entity: 'user', keyColumn: 'id', position: 'snapshot' },
  { entity: 'profile', keyColumn: 'id', position: 'snapshot' },
  { entity: 'userByEmail', keyColumn: 'email', position: 'snapshot' },
  { entity: 'lagging', keyColumn: 'id', position: 'none' },
  { entity: 'plain', keyColumn: 'id', position: 'none' },
];
const entities = {
  user: { key: 'user:{id}', ttl: '10m', sources: source },
  profile: { key: 'profile:{id}', ttl: '10m', mode: 'refresh', sources: source },
  userByEmail: { key: 'user-by-email:{email}', ttl: '10m', sources: source },
  lagging: { key: 'lagging:{id}', ttl: '10m', maxReplicaLag: `${MAX_REPLICA_LAG_MS}ms`, sources: source },
  plain: { key: 'plain:{id}', ttl: '10m', sources: source },
};
const cache = createCache({ redis: REDIS_URL, keyspace: keyspaceFromData({ entities }), prefix });
const emailOf = (id: number) => `u${id}@example.com`;
const paramsOf = (reader: Reader, id: number) =>
  reader.keyColumn === 'id' ? { id } : { email: emailOf(id) };

let connector: TestConnector;
let worker: WorkerProcess;
let primary: Client;
let standby: Client;
/** The loaders' connections: each load reads its snapshot and its row on one connection (docs/sdk.md). */
let standbyPool: Pool;
let paused = false;

beforeAll(async () => {
  standby = new Client({ ...endpoints.postgresStandby, connectionTimeoutMillis: 5_000 });
  await standby.connect();
  standbyPool = new Pool({ ...endpoints.postgresStandby, max: 4, connectionTimeoutMillis: 5_000 });
  expect((await standby.query('SELECT pg_is_in_recovery() AS standby')).rows[0].standby).toBe(true);
  primary = new Client({ ...endpoints.postgres, connectionTimeoutMillis: 5_000 });
  await primary.connect();
  await pgQuery(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL UNIQUE, n int NOT NULL)`);
  await pgQuery(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
  connector = await startPostgresConnector([table], { 'tombstones.on.delete': 'false' });
  await pgQuery(
    `INSERT INTO ${table} SELECT id, 'u' || id || '@example.com', 0 FROM generate_series(1, ${ROWS}) id`,
  );
  await waitForTopic(connector.topic(table));
  const httpPort = await freePort();
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
  await waitUntilConsumed(httpPort, ROWS, worker);
  await waitUntilReplayed(await currentLsn());
}, 180_000);

afterAll(async () => {
  if (paused) await standby.query('SELECT pg_wal_replay_resume()');
  worker?.child.kill('SIGTERM');
  await worker?.exited;
  await connector?.remove();
  await pgQuery(`DROP TABLE IF EXISTS ${table}`);
  await deleteTopics([connector.topic(table)]);
  await Promise.all([primary?.end(), standby?.end(), standbyPool?.end(), cache.close()]);
}, 120_000);

/** Read a key through the cache, loading from the standby, reporting its snapshot or nothing. */
function read(reader: Reader, id: number): Promise<unknown> {
  return cache.get(
    reader.entity as never,
    paramsOf(reader, id) as never,
    async (ctx: LoaderContext<Record<string, KeyValue>>) => {
      const client = await standbyPool.connect();
      try {
        if (reader.position === 'snapshot') ctx.readPosition(await readPostgresPosition(client));
        const { rows } = await client.query(
          `SELECT id, email, n FROM ${table} WHERE ${reader.keyColumn} = $1`,
          [reader.keyColumn === 'id' ? id : emailOf(id)],
        );
        return rows[0] ?? null;
      } finally {
        client.release();
      }
    },
  );
}

async function cached(reader: Reader): Promise<unknown[]> {
  return Promise.all(ids.map((id) => cache.peek(reader.entity as never, paramsOf(reader, id) as never)));
}

async function currentLsn(): Promise<string> {
  return (await primary.query('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
}

async function waitUntilReplayed(lsn: string): Promise<void> {
  await waitFor(
    async () =>
      (await standby.query('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS past', [lsn])).rows[0].past ===
      true,
    { timeoutMs: 30_000, description: `standby replayed ${lsn}` },
  );
}

/** Pause the standby's replay and wait until it HAS paused (pg_wal_replay_pause() only requests it). */
async function pauseReplay(): Promise<void> {
  await standby.query('SELECT pg_wal_replay_pause()');
  paused = true;
  await waitFor(
    async () =>
      (await standby.query("SELECT pg_get_wal_replay_pause_state() = 'paused' AS paused")).rows[0]?.paused ===
      true,
    { timeoutMs: 15_000, description: 'the standby paused its replay' },
  );
}

describe('a TRUNCATE while the loaders read a standby that has not replayed it', () => {
  it('serves the old rows but caches none, except where the loader reports nothing (plain cache-aside)', async () => {
    // Prepare: every key cached from the caught-up standby (the maxReplicaLag entity once the inserts are
    // older than its window)
    const rows = ids.map((id) => ({ id, email: emailOf(id), n: 0 }));
    await waitFor(
      async () => {
        for (const reader of READERS) for (const id of ids) await read(reader, id);
        const all = await Promise.all(READERS.map(cached));
        return all.every((values) => JSON.stringify(values) === JSON.stringify(rows));
      },
      { timeoutMs: 3 * MAX_REPLICA_LAG_MS, intervalMs: 500, description: 'every key cached' },
    );
    const generations = () =>
      Promise.all(READERS.map((reader) => cache.redis.get(generationKey(prefix, reader.entity))));
    const before = await generations();
    const refused: CacheEventMap['fill-refused'][] = [];
    cache.events.on('fill-refused', (event) => refused.push(event));

    // Act: freeze the standby, TRUNCATE on the primary, wait for the worker's bumps, read every key
    await pauseReplay();
    await primary.query(`TRUNCATE ${table}`);
    await waitFor(async () => (await generations()).every((generation, at) => generation !== before[at]), {
      timeoutMs: 30_000,
      description: 'the worker bumped every generation',
    });
    const served = await Promise.all(READERS.map((reader) => Promise.all(ids.map((id) => read(reader, id)))));
    const cachedWhileFrozen = Object.fromEntries(
      await Promise.all(READERS.map(async (reader) => [reader.entity, await cached(reader)] as const)),
    );
    await standby.query('SELECT pg_wal_replay_resume()');
    paused = false;
    await waitUntilReplayed(await currentLsn());
    const snapshotReaders = READERS.filter((reader) => reader.position === 'snapshot');
    const caughtUp = await Promise.all(
      snapshotReaders.map((reader) => Promise.all(ids.map((id) => read(reader, id)))),
    );
    const cachedCaughtUp = await Promise.all(snapshotReaders.map(cached));

    // Assess: the frozen standby served the old rows; only the loader that reports nothing cached them
    expect(served).toEqual(READERS.map(() => rows));
    expect(cachedWhileFrozen).toEqual({
      user: ids.map(() => undefined),
      profile: ids.map(() => undefined),
      userByEmail: ids.map(() => undefined),
      lagging: ids.map(() => undefined),
      plain: rows,
    });
    const reasons = (entity: string) =>
      refused.filter((event) => event.entity === entity).map((event) => event.reason);
    expect(Object.fromEntries(READERS.map((reader) => [reader.entity, reasons(reader.entity)]))).toEqual({
      user: ids.map(() => 'invisible'),
      profile: ids.map(() => 'invisible'),
      userByEmail: ids.map(() => 'invisible'),
      lagging: ids.map(() => 'replica-lag'),
      plain: [],
    });
    // Once replayed, the TRUNCATE is visible: the rows are gone, and that is cached
    expect(caughtUp).toEqual(snapshotReaders.map(() => ids.map(() => null)));
    expect(cachedCaughtUp).toEqual(snapshotReaders.map(() => ids.map(() => null)));
  });
});
