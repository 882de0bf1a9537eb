import { Redis } from 'ioredis';
import { truncationKey } from '../../../src/core/apply-actions';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { createCache, defineKeyspace } from '../../../src/index';
import { generationMemoryKey, versionKey } from '../../../src/keyspace';
import { deferred } from '../sdk/sdk-test-kit';
import { deletePrefix, uniquePrefix, userEvent } from './core-test-support';

// Issue 15: the worker remembers, per key, the newest PostgreSQL transaction among the changes it applied,
// and a fill read from a snapshot in which that transaction had not finished is not cached.

const pg = (n: number) => String(n).padStart(20, '0');

describe('the transaction memory of the worker', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const keyspace = defineKeyspace({
    user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
    profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.users' }] },
  });
  const prefixes: string[] = [];
  const setup = (label: string) => {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    const memoryOf = (entity: 'user' | 'profile', id: number) =>
      redis.get(versionKey(prefix, cache.keyOf(entity, { id })));
    return { engine, cache, memoryOf };
  };
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('keeps the newest transaction id in circular order, whatever order the changes arrive in', async () => {
    // Prepare
    const { engine, cache, memoryOf } = setup('xid-order');
    const change = (version: number, transactionId: string) =>
      userEvent({ before: { id: 1 }, after: { id: 1 }, version: pg(version), transactionId });

    // Act: xid 4294967295 then 3 (after the wraparound), then a late change of an older transaction
    await engine.apply([change(100, '4294967295')]);
    await engine.apply([change(200, '3')]);
    await engine.apply([change(150, '4294967290')]);

    // Assess: the newest version (200) and the newest transaction (3)
    expect(await memoryOf('user', 1)).toMatch(new RegExp(`^${pg(200)}\\|\\d+\\|3$`));
    expect(await memoryOf('profile', 1)).toMatch(new RegExp(`^${pg(200)}\\|\\d+\\|3$`));
    await cache.close();
  });

  it('keeps the newest transaction of changes coalesced in one batch', async () => {
    // Prepare: two rows meet on one key; the change with the lower LSN has the newer transaction
    const { engine, cache, memoryOf } = setup('xid-batch');

    // Act
    await engine.apply([
      userEvent({ before: { id: 2 }, after: { id: 2 }, version: pg(300), transactionId: '700' }),
      userEvent({ before: { id: 2 }, after: { id: 2 }, version: pg(250), transactionId: '701' }),
    ]);

    // Assess
    expect(await memoryOf('user', 2)).toMatch(new RegExp(`^${pg(300)}\\|\\d+\\|701$`));
    await cache.close();
  });

  it('cancels a fill in progress when a late change of a transaction it was not checked against lands', async () => {
    // Prepare: the key reached version 300 (xid 700); a reader leases it and loads
    const { engine, cache } = setup('xid-lease');
    await engine.apply([
      userEvent({ before: { id: 3 }, after: { id: 3 }, version: pg(300), transactionId: '700' }),
    ]);
    const loading = deferred();
    const loaded = deferred();
    const read = cache.get('user', { id: 3 }, async (ctx) => {
      loading.resolve();
      await loaded.promise;
      ctx.readPosition({ snapshot: '701:702:' }); // 700 finished; 701 still running
      return { id: 3, name: 'old' };
    });
    await loading.promise;

    // Act: a change at a LOWER LSN but of transaction 701 (another row, committed after 700) is applied
    await engine.apply([
      userEvent({ before: { id: 3 }, after: { id: 3 }, version: pg(250), transactionId: '701' }),
    ]);
    loaded.resolve();

    // Assess: served, not cached
    expect(await read).toEqual({ id: 3, name: 'old' });
    expect(await cache.peek('user', { id: 3 })).toBeUndefined();
    await cache.close();
  });

  it('lets a late duplicate of a counted transaction keep a newer entry, as before', async () => {
    // Prepare: refresh mode, the worker wrote the image of version 300 (xid 700)
    const { engine, cache } = setup('xid-duplicate');
    const change = (version: number, transactionId: string, name: string) =>
      userEvent({ before: { id: 4 }, after: { id: 4, name }, version: pg(version), transactionId });
    await engine.apply([change(250, '699', 'older'), change(300, '700', 'newer')]);
    await engine.apply([change(300, '700', 'newer')]);

    // Act: the older change is delivered again
    await engine.apply([change(250, '699', 'older')]);

    // Assess
    expect(await cache.peek('profile', { id: 4 })).toMatchObject({ name: 'newer' });
    await cache.close();
  });

  it('remembers a truncate in the generation memory (newest version and transaction), and refuses fills that do not contain it', async () => {
    // Prepare
    const { engine, cache } = setup('xid-truncate');
    const prefix = prefixes.at(-1)!;
    const truncate = (version: number | '', transactionId?: string) =>
      userEvent({
        op: 'truncate',
        before: null,
        after: null,
        key: null,
        version: version === '' ? '' : pg(version),
        ...(transactionId === undefined ? {} : { transactionId }),
      });
    const fill = (snapshot: string) =>
      cache.get('user', { id: 5 }, (ctx) => {
        ctx.readPosition({ snapshot });
        return { id: 5, name: 'before the truncate' };
      });

    // Act: xid 4294967295 then 3 (after the wraparound), a late older one, then one of unknown version
    await engine.apply([truncate(100, '4294967295')]);
    await engine.apply([truncate(200, '3')]);
    await engine.apply([truncate(150, '4294967290')]);
    const memory = await redis.get(generationMemoryKey(prefix, 'user'));
    const truncatedAt = await redis.get(truncationKey(prefix, 'user'));
    await engine.apply([truncate('')]);
    const afterUnknown = {
      memory: await redis.get(generationMemoryKey(prefix, 'profile')),
      truncatedAt: await redis.get(truncationKey(prefix, 'profile')),
    };
    const frozen = await fill('4294967294:4294967296:'); // 3 (full id 2^32 + 3) had not started there
    const cachedWhileFrozen = await cache.peek('user', { id: 5 });
    const caughtUp = await fill('4294967300:4294967300:'); // every id up to 2^32 + 3 had finished

    // Assess
    expect(memory).toMatch(new RegExp(`^${pg(200)}\\|\\d+\\|3$`));
    expect(truncatedAt).toBe(pg(200));
    // A truncate of unknown version keeps the truncation key, forgets the memory's version, keeps its xid
    expect(afterUnknown.memory).toMatch(/^\|\d+\|3$/);
    expect(afterUnknown.truncatedAt).toBe(pg(200));
    expect([frozen, cachedWhileFrozen]).toEqual([{ id: 5, name: 'before the truncate' }, undefined]);
    expect(caughtUp).toEqual({ id: 5, name: 'before the truncate' });
    expect(await cache.peek('user', { id: 5 })).toEqual({ id: 5, name: 'before the truncate' });
    await cache.close();
  });
});
