import Redis from 'ioredis';
import type { ChangeEvent, Row } from '../../../src/core/change-event';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { type Cache, createCache, defineKeyspace } from '../../../src/index';
import { NEAR_CACHE_CLIENTS, nodeOfUrl } from '../../support/near-cache-clients';
import { startRedisProcess } from '../../support/redis-process';
import { pollUntil, SHARED_REDIS_URL, uniquePrefix } from './sdk-test-kit';

// The near cache against real Redis: every change the worker applies (delete, refresh, tag, truncate)
// reaches every reader's memory, a cut invalidation connection empties it, and what it serves is frozen;
// through every client library the near cache runs on (each opens its own tracking connections).
const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', tags: ['tenant:{tenantId}'], sources: [{ table: 'public.users' }] },
  profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.users' }] },
  audit: { key: 'audit:{id}', ttl: '5m', nearCache: false, sources: [{ table: 'public.users' }] },
});
// A long heartbeat: on a loaded machine two missed 1 s pongs would clear the near cache between two steps.
const NEAR = { maxEntries: 1000, ttl: '1m', heartbeat: '5s' } as const;
const admin = new Redis(SHARED_REDIS_URL);
afterAll(async () => {
  await admin.quit();
});

describe.each(NEAR_CACHE_CLIENTS)('near cache through $name', ({ factory, resp }) => {
  const open: { close(): Promise<void> }[] = [];
  afterAll(async () => {
    for (const opened of open.reverse()) await opened.close();
  });

  /** A reader with a near cache on a client of this library, once its invalidation stream is up. */
  async function reader(
    prefix: string,
    redis: string = SHARED_REDIS_URL,
    heartbeat: string = NEAR.heartbeat,
  ): Promise<Cache<typeof keyspace.definitions>> {
    const client = await factory.open({ nodes: [nodeOfUrl(redis)], cluster: false, resp });
    open.push(client);
    const nearCache = { ...NEAR, heartbeat };
    const cache = createCache({ redis: client.client as object, keyspace, prefix, nearCache });
    open.push(cache as Cache);
    await pollUntil(() => cache.nearCache!.stats().up, { description: 'the invalidation stream up' });
    return cache;
  }

  let version = 0;
  function change(op: ChangeEvent['op'], before: Row | null, after: Row | null): ChangeEvent<null> {
    version += 1;
    return {
      source: 'postgres',
      table: 'public.users',
      op,
      before,
      after,
      key: null,
      version: String(version).padStart(20, '0'),
      committedAt: Date.now(),
      position: null,
    };
  }

  /**
   * Read twice: the first may load and fill Redis; the second hits Redis and fills the near cache. In between,
   * wait for the invalidation of the fill itself, which would otherwise spoil (or evict) the second read's fill.
   */
  async function warm(cache: Cache<typeof keyspace.definitions>, entity: 'user' | 'profile', row: Row) {
    await cache.get(entity, { id: row['id'] as number }, () => row, { tagParams: { tenantId: 7 } });
    await cache.nearCache!.sync();
    await cache.get(entity, { id: row['id'] as number }, () => row, { tagParams: { tenantId: 7 } });
  }

  it('serves hits from memory and drops a key on every change the worker applies, in every reader', async () => {
    // Prepare
    const prefix = uniquePrefix('near');
    const engine = createInvalidationEngine({ keyspace, redis: admin, prefix });
    const readers = [await reader(prefix), await reader(prefix)];
    const old = { id: 1, name: 'old', tenantId: 7 };
    const updated = { id: 1, name: 'new', tenantId: 7 };
    for (const cache of readers) {
      await warm(cache, 'user', old);
      await warm(cache, 'profile', old);
    }
    const hitsBefore = readers.map((cache) => cache.nearCache!.stats().hits);
    const servedFromMemory = await Promise.all(
      readers.map((cache) =>
        cache.get('user', { id: 1 }, () => {
          throw new Error('must not load');
        }),
      ),
    );
    // Act
    await engine.apply([change('update', old, updated)]);
    await Promise.all(readers.map((cache) => cache.nearCache!.sync()));
    const after = await Promise.all(
      readers.flatMap((cache) => [
        cache.get('user', { id: 1 }, () => updated),
        cache.get('profile', { id: 1 }, () => updated),
      ]),
    );
    // Assess
    expect(servedFromMemory).toEqual([old, old]);
    expect(readers.map((cache) => cache.nearCache!.stats().hits)).toEqual(hitsBefore.map((hits) => hits + 1));
    expect(after.map((value) => (value as { name: string }).name)).toEqual(['new', 'new', 'new', 'new']);
    await engine.close();
  });

  it('serves getMany from memory for what it holds, and only the rest from Redis and the loader', async () => {
    // Prepare
    const prefix = uniquePrefix('near-many');
    const cache = await reader(prefix);
    const names = new Map([1, 2, 3, 4].map((id) => [id, 'v1']));
    const batch = (list: readonly { id: unknown }[]) =>
      list.map(({ id }) => ({ id: Number(id), name: names.get(Number(id)) }));
    await cache.getMany('user', [{ id: 1 }, { id: 2 }, { id: 3 }], batch);
    await cache.nearCache!.sync();
    await cache.getMany('user', [{ id: 1 }, { id: 2 }, { id: 3 }], batch);
    const hits = cache.nearCache!.stats().hits;
    // Act
    names.set(2, 'v2');
    await admin.unlink(cache.keyOf('user', { id: 2 }));
    await cache.nearCache!.sync();
    const loaded: unknown[] = [];
    const values = await cache.getMany('user', [{ id: 1 }, { id: 2 }, { id: 3 }, { id: 4 }], (list) => {
      loaded.push(...list.map(({ id }) => id));
      return batch(list);
    });
    // Assess
    expect(values.map((value) => (value as { name: string }).name)).toEqual(['v1', 'v2', 'v1', 'v1']);
    expect(loaded).toEqual([2, 4]);
    expect(cache.nearCache!.stats().hits).toBe(hits + 2);
  });

  it('drops a whole entity on a truncate (its generation key) and the listed keys of a tag', async () => {
    // Prepare
    const prefix = uniquePrefix('near-truncate');
    const engine = createInvalidationEngine({ keyspace, redis: admin, prefix });
    const cache = await reader(prefix);
    const other = await reader(prefix);
    for (const id of [1, 2]) await warm(cache, 'user', { id, name: 'old', tenantId: 7 });
    await warm(cache, 'profile', { id: 3, name: 'old', tenantId: 7 });
    // Act: a tag invalidation from another reader, then a truncate from the worker
    await other.deleteByTag('tenant:7');
    await cache.nearCache!.sync();
    const afterTag = await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'after tag', tenantId: 7 }));
    await cache.nearCache!.sync();
    await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'unused', tenantId: 7 })); // back in memory
    await engine.apply([change('truncate', null, null)]);
    await cache.nearCache!.sync();
    const afterTruncate = await Promise.all([
      cache.get('user', { id: 1 }, () => ({ id: 1, name: 'after truncate' })),
      cache.get('profile', { id: 3 }, () => ({ id: 3, name: 'after truncate' })),
    ]);
    // Assess
    expect(afterTag).toEqual({ id: 1, name: 'after tag', tenantId: 7 });
    expect(afterTruncate.map((value) => (value as { name: string }).name)).toEqual([
      'after truncate',
      'after truncate',
    ]);
    await engine.close();
  });

  it('empties itself when its invalidation connection is killed while changes flow, and serves nothing stale after', async () => {
    // Prepare
    const prefix = uniquePrefix('near-kill');
    const engine = createInvalidationEngine({ keyspace, redis: admin, prefix });
    const cache = await reader(prefix);
    const rows = new Map<number, Row>();
    const ids = Array.from({ length: 20 }, (_, index) => index + 1);
    // No tenant: a change of a tenant's row would invalidate the tag, and so every key listed under it.
    for (const id of ids) rows.set(id, { id, name: 'v0' });
    const load = (id: number) => () => rows.get(id)!;
    for (const id of ids) {
      await cache.get('user', { id }, load(id));
      await cache.nearCache!.sync();
      await cache.get('user', { id }, load(id));
    }
    const clears: string[] = [];
    cache.events.on('near-clear', ({ reason }) => clears.push(reason));
    // Act: changes flow while the connection is killed (twice)
    let writes = 0;
    let flowing = true;
    const flow = (async () => {
      while (flowing) {
        const id = ids[writes % ids.length]!;
        const before = rows.get(id)!;
        const after = { ...before, name: `v${++writes}` };
        rows.set(id, after);
        await engine.apply([change('update', before, after)]);
        await Promise.all(ids.map((id) => cache.get('user', { id }, load(id))));
      }
    })();
    const closed = () => clears.filter((reason) => reason === 'connection-closed').length;
    for (let kill = 0; kill < 2; kill++) {
      await pollUntil(() => cache.nearCache!.stats().up, { description: 'the stream up again' });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const [id] = await cache.nearCache!.clientIds();
      await admin.client('KILL', 'ID', String(id));
      // The kill reaches the client a moment after KILL returns: until then `up` still reads true.
      await pollUntil(() => closed() === kill + 1, { description: 'the kill seen by the near cache' });
    }
    await pollUntil(() => cache.nearCache!.stats().up, { description: 'the stream up after the kills' });
    const writesAfterKills = writes;
    const hitsAfterKills = cache.nearCache!.stats().hits;
    await pollUntil(() => writes >= writesAfterKills + 2 * ids.length, {
      description: 'more changes after the kills',
    });
    flowing = false;
    await flow;
    await cache.nearCache!.sync();
    const served = await Promise.all(ids.map((id) => cache.get('user', { id }, load(id))));
    // Assess
    expect(closed()).toBe(2);
    expect(cache.nearCache!.stats().hits).toBeGreaterThan(hitsAfterKills); // memory served in between
    expect(served).toEqual(ids.map((id) => rows.get(id)));
    await engine.close();
  });

  it('serves deep-frozen values, a Date-holding value as a fresh copy, and leaves an opted-out entity alone', async () => {
    // Prepare
    const prefix = uniquePrefix('near-frozen');
    const cache = await reader(prefix);
    await warm(cache, 'user', { id: 1, name: 'Ada', roles: ['admin'] } as Row);
    const withDate = { id: 2, at: new Date('2026-01-02T03:04:05.000Z') };
    await cache.get('user', { id: 2 }, () => withDate);
    await cache.nearCache!.sync();
    await cache.get('user', { id: 2 }, () => withDate);
    await cache.get('audit', { id: 1 }, () => ({ id: 1 }));
    // Act
    const value = (await cache.get('user', { id: 1 }, () => null)) as unknown as { roles: string[] };
    const mutate = () => value.roles.push('root');
    const dated = (await cache.get('user', { id: 2 }, () => null)) as unknown as { at: Date };
    dated.at.setUTCFullYear(1999);
    const datedAgain = (await cache.get('user', { id: 2 }, () => null)) as unknown as { at: Date };
    const hits = cache.nearCache!.stats().hits;
    await cache.get('audit', { id: 1 }, () => ({ id: 1 }));
    // Assess
    expect(mutate).toThrow(TypeError);
    expect(datedAgain.at.toISOString()).toBe('2026-01-02T03:04:05.000Z');
    expect(cache.nearCache!.stats().hits).toBe(hits);
  });

  it('empties itself when its tracking connection goes silent (a frozen server, two heartbeats unanswered) and serves fresh values once back', async () => {
    // Prepare
    const server = await startRedisProcess();
    const client = new Redis(server.url);
    try {
      const prefix = uniquePrefix('near-silent');
      const cache = await reader(prefix, server.url, '200ms');
      await warm(cache, 'user', { id: 1, name: 'before' });
      const held = cache.nearCache!.stats().entries;
      const clears: string[] = [];
      cache.events.on('near-clear', ({ reason }) => clears.push(reason));
      // Act: no socket closes, nothing answers; then the server thaws and the key changes
      server.freeze(true);
      await pollUntil(() => clears.includes('heartbeat'), { description: 'cleared after missed heartbeats' });
      const entriesWhileSilent = cache.nearCache!.stats().entries;
      server.freeze(false);
      await client.unlink(cache.keyOf('user', { id: 1 }));
      await pollUntil(() => cache.nearCache!.stats().up, { timeoutMs: 20_000, description: 'up again' });
      await cache.nearCache!.sync();
      const after = await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'after' }));
      // Assess
      expect(held).toBe(1);
      expect(entriesWhileSilent).toBe(0);
      expect(after).toEqual({ id: 1, name: 'after' });
    } finally {
      server.freeze(false);
      client.disconnect();
      await server.stop();
    }
  });

  it('sync() resolves while its stream is down (it holds nothing then), instead of failing with the client library error', async () => {
    // Prepare
    const server = await startRedisProcess();
    try {
      const prefix = uniquePrefix('near-sync-down');
      const cache = await reader(prefix, server.url);
      await warm(cache, 'user', { id: 1, name: 'held' });
      const heldBefore = cache.nearCache!.stats().entries;
      // Act: Redis goes away and stays away, so the stream cannot come back up before sync() is called
      await server.stop();
      await pollUntil(() => !cache.nearCache!.stats().up, { description: 'the stream down' });
      const synced = await cache.nearCache!.sync().then(
        () => 'resolved',
        (error: unknown) => error,
      );
      // Assess
      expect(heldBefore).toBe(1);
      expect(synced).toBe('resolved');
      expect(cache.nearCache!.stats().entries).toBe(0);
    } finally {
      await server.stop();
    }
  });

  it('empties itself on a FLUSHALL and when Redis restarts (a private redis-server)', async () => {
    // Prepare
    const server = await startRedisProcess();
    try {
      const client = new Redis(server.url);
      const prefix = uniquePrefix('near-flush');
      const cache = await reader(prefix, server.url);
      await warm(cache, 'user', { id: 1, name: 'before flush' });
      const invalidations: (readonly string[] | null)[] = [];
      cache.events.on('near-invalidation', ({ keys }) => invalidations.push(keys));
      // Act
      await client.flushall();
      await cache.nearCache!.sync();
      const afterFlush = await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'after flush' }));
      await cache.get('user', { id: 1 }, () => null);
      await server.stop();
      await server.start();
      await pollUntil(() => cache.nearCache!.stats().up, {
        timeoutMs: 20_000,
        description: 'up after restart',
      });
      const afterRestart = await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'after restart' }));
      // Assess
      expect(invalidations).toContainEqual(null);
      expect(afterFlush).toEqual({ id: 1, name: 'after flush' });
      expect(afterRestart).toEqual({ id: 1, name: 'after restart' });
      expect(cache.nearCache!.stats().clears).toBeGreaterThanOrEqual(1);
      client.disconnect();
    } finally {
      await server.stop();
    }
  });
});
