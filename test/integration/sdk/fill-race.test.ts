import Redis from 'ioredis';
import { createCache } from '../../../src/index';
import { deferred, pollUntil, SHARED_REDIS_URL, testKeyspace, uniquePrefix } from './sdk-test-kit';

// The race every hand-written cache-aside has: a reader loads the row, the row changes and the change
// invalidates the key, THEN the reader writes what it loaded. The interleaving is forced step by step.
const redis = new Redis(SHARED_REDIS_URL);
afterAll(() => redis.quit());

function database() {
  const rows = new Map<number, { id: number; name: string }>([[1, { id: 1, name: 'before' }]]);
  return {
    read: (id: number) => ({ ...rows.get(id)! }),
    update: (id: number, name: string) => rows.set(id, { id, name }),
  };
}

// Run again with a near cache in the reader: the miss path is the same, and what it serves afterwards must
// still be the row (the near cache holds only fresh values read from Redis, never past their soft expiry).
describe.each([
  { label: 'Redis only', nearCache: undefined },
  { label: 'with a near cache', nearCache: { maxEntries: 100 } },
])('the fill race ($label)', ({ nearCache }) => {
  const opened: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const cache of opened) await cache.close();
  });
  async function raceCache(options: Omit<Parameters<typeof createCache>[0], 'nearCache'>) {
    const cache = createCache({ ...options, ...(nearCache ? { nearCache } : {}) });
    opened.push(cache);
    if (nearCache) await pollUntil(() => cache.nearCache!.stats().up, { description: 'the near cache up' });
    return cache;
  }

  it('leaves a stale value with naive cache-aside (GET, query, SETEX)', async () => {
    // Prepare
    const db = database();
    const key = `${uniquePrefix('naive-race')}user:1`;
    const loaded = deferred();
    const writeBack = deferred();
    const naiveGet = async () => {
      const cached = await redis.get(key);
      if (cached) return JSON.parse(cached);
      const row = db.read(1);
      loaded.resolve();
      await writeBack.promise;
      await redis.setex(key, 300, JSON.stringify(row));
      return row;
    };
    // Act
    const reading = naiveGet();
    await loaded.promise; // the reader holds the old row
    db.update(1, 'after');
    await redis.del(key); // the invalidation of the change
    writeBack.resolve();
    await reading;
    // Assess
    expect(JSON.parse((await redis.get(key))!)).toEqual({ id: 1, name: 'before' });
  });

  it('is cancelled with cdc-cache when the worker deletes the key during the load', async () => {
    // Prepare
    const db = database();
    const cache = await raceCache({ redis, keyspace: testKeyspace(), prefix: uniquePrefix('race') });
    const key = cache.keyOf('user', { id: 1 });
    const loaded = deferred();
    const writeBack = deferred();
    const loader = async () => {
      const row = db.read(1);
      loaded.resolve();
      await writeBack.promise;
      return row;
    };
    // Act
    const reading = cache.get('user', { id: 1 }, loader);
    await loaded.promise;
    db.update(1, 'after');
    await redis.unlink(key); // what the worker does for a delete-mode entity
    writeBack.resolve();
    const servedToTheRacingReader = await reading;
    const cachedAfterwards = await cache.peek('user', { id: 1 });
    const nextRead = await cache.get('user', { id: 1 }, async () => db.read(1));
    // Assess
    expect(servedToTheRacingReader).toEqual({ id: 1, name: 'before' });
    expect(cachedAfterwards).toBeUndefined();
    expect(nextRead).toEqual({ id: 1, name: 'after' });
  });

  it('is cancelled when the worker leaves a tombstone during the load, and the next fill claims no version it did not read', async () => {
    // Prepare
    const db = database();
    const cache = await raceCache({
      redis,
      keyspace: testKeyspace(),
      prefix: uniquePrefix('race-tombstone'),
    });
    const key = cache.keyOf('user', { id: 1 });
    const loaded = deferred();
    const writeBack = deferred();
    // Act
    const reading = cache.get('user', { id: 1 }, async () => {
      const row = db.read(1);
      loaded.resolve();
      await writeBack.promise;
      return row;
    });
    await loaded.promise;
    db.update(1, 'after');
    await redis.set(key, `t|0|00000000000000000042|${Date.now()}`, 'PX', 5_000);
    writeBack.resolve();
    await reading;
    const tombstone = await redis.get(key);
    const nextRead = await cache.get('user', { id: 1 }, async () => db.read(1));
    // Assess
    expect(tombstone).toMatch(/^t\|/);
    expect(nextRead).toEqual({ id: 1, name: 'after' });
    // A loader that reports no read position may have read any snapshot: its version is unknown ('').
    expect(await redis.get(key)).toMatch(/^v\|\d+\|\|/);
  });

  it('cancels a background refresh (grace) that an invalidation overtook', async () => {
    // Prepare
    const db = database();
    const cache = await raceCache({
      redis,
      keyspace: testKeyspace({ ttl: '100ms', grace: '1m' }),
      prefix: uniquePrefix('race-grace'),
    });
    const key = cache.keyOf('user', { id: 1 });
    await cache.get('user', { id: 1 }, async () => db.read(1));
    // A hit: with a near cache, held in memory until the entry's soft expiry in Redis, not past it.
    await cache.nearCache?.sync();
    await cache.get('user', { id: 1 }, async () => db.read(1));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const loaded = deferred();
    const writeBack = deferred();
    const loads: { cached: boolean }[] = [];
    cache.events.on('load', (event) => loads.push(event));
    // Act
    const stale = await cache.get('user', { id: 1 }, async () => {
      const row = db.read(1);
      loaded.resolve();
      await writeBack.promise;
      return row;
    });
    await loaded.promise;
    db.update(1, 'after');
    await redis.unlink(key);
    writeBack.resolve();
    await pollUntil(() => loads.length === 1, { description: 'the refresh load to finish' });
    // Assess
    expect(stale).toEqual({ id: 1, name: 'before' });
    expect(loads[0]).toEqual(expect.objectContaining({ cached: false, found: true }));
    expect(await redis.get(key)).toBeNull();
  });
});
