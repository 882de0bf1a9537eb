import { Redis } from 'ioredis';
import type { ChangeEvent } from '../../../src/core/change-event';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { type CacheEventMap, createCache, defineKeyspace } from '../../../src/index';
import { postgresVersion } from '../../../src/keyspace';
import { readEntryHeader } from '../../../src/redis/entry-format';
import { deferred, SHARED_REDIS_URL, uniquePrefix } from './sdk-test-kit';

// Issue 15: a loader reading a lagging replica reports what it read, and a fill older than the key's last
// applied change is served but not cached.

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.users' }] },
  account: { key: 'account:{id}', ttl: '5m', maxReplicaLag: '3s', sources: [{ table: 'public.accounts' }] },
  item: { key: 'item:{pk}', ttl: '5m', sources: [{ dynamodb: 'Items' }] },
});

/** A change of public.users committed at PostgreSQL LSN `lsn` (text form, as pg_lsn prints it). */
function userChange(id: number, lsn: string, table = 'public.users'): ChangeEvent<null> {
  return {
    source: 'postgres',
    table,
    op: 'update',
    before: { id, name: 'old' },
    after: { id, name: 'new' },
    key: { id },
    version: postgresVersion(lsn)!,
    committedAt: Date.now(),
    position: null,
  };
}

describe('ctx.readPosition', () => {
  const redis = new Redis(SHARED_REDIS_URL);
  const prefix = uniquePrefix('read-position');
  const engine = createInvalidationEngine({ keyspace, redis, prefix });
  const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
  const refused: CacheEventMap['fill-refused'][] = [];
  cache.events.on('fill-refused', (event) => refused.push(event));
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.unlink(...keys);
    await cache.close();
    await redis.quit();
  });

  it('serves but does not cache a fill read before the change the worker applied (delete mode)', async () => {
    // Prepare: the worker applied the change at 0/16B3748
    await engine.apply([userChange(1, '0/16B3748')]);

    // Act: a replica that has replayed only up to 0/16B3700 is read
    const value = await cache.get('user', { id: 1 }, (ctx) => {
      ctx.readPosition('0/16B3700');
      return { id: 1, name: 'old' };
    });

    // Assess
    expect(value).toEqual({ id: 1, name: 'old' });
    expect(await cache.peek('user', { id: 1 })).toBeUndefined();
    expect(refused).toContainEqual(
      expect.objectContaining({ entity: 'user', reason: 'behind', fresh: false }),
    );
  });

  it('caches a fill whose replica has replayed past the change, stamped with its position', async () => {
    // Prepare
    await engine.apply([userChange(2, '0/16B3748')]);

    // Act
    await cache.get('user', { id: 2 }, (ctx) => {
      ctx.readPosition('0/16B3800');
      return { id: 2, name: 'new' };
    });

    // Assess
    expect(await cache.peek('user', { id: 2 })).toEqual({ id: 2, name: 'new' });
    const raw = await redis.get(cache.keyOf('user', { id: 2 }));
    expect(readEntryHeader(raw!)?.version).toBe(postgresVersion('0/16B37FF'));
  });

  it('reads once more with the freshLoader when refused, and caches that for the readers waiting on the lease', async () => {
    // Prepare
    await engine.apply([userChange(3, '0/16B3748')]);
    const gate = deferred();
    let replicaReads = 0;
    let freshReads = 0;
    const read = () =>
      cache.get(
        'user',
        { id: 3 },
        async (ctx) => {
          replicaReads += 1;
          await gate.promise;
          ctx.readPosition('0/16B3000');
          return { id: 3, name: 'old' };
        },
        {
          freshLoader: () => {
            freshReads += 1;
            return { id: 3, name: 'new' };
          },
        },
      );

    // Act: one reader loads; a second process (another cache) waits on its lease
    const other = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    const first = read();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const waiting = other.get('user', { id: 3 }, () => {
      replicaReads += 1;
      return { id: 3, name: 'old' };
    });
    gate.resolve();
    const values = await Promise.all([first, waiting]);
    await other.close();

    // Assess
    expect(values).toEqual([
      { id: 3, name: 'new' },
      { id: 3, name: 'new' },
    ]);
    expect(freshReads).toBe(1);
    expect(replicaReads).toBe(1);
    expect(await cache.peek('user', { id: 3 })).toEqual({ id: 3, name: 'new' });
  });

  it('does not stamp a lease-over-tombstone fill with the tombstone version when the loader reports nothing', async () => {
    // Prepare: refresh mode, the row left key profile:4 at 0/2000 (a tombstone)
    await engine.apply([
      {
        ...userChange(4, '0/2000'),
        before: { id: 4, name: 'x' },
        after: { id: 5, name: 'x' },
      },
    ]);

    // Act
    await cache.get('profile', { id: 4 }, () => ({ id: 4, name: 'from somewhere' }));

    // Assess: the value's version is unknown, not the tombstone's
    const raw = await redis.get(cache.keyOf('profile', { id: 4 }));
    expect(readEntryHeader(raw!)?.version).toBe('');
  });

  it('holds fills without a position off for maxReplicaLag after a change, and caches them after', async () => {
    // Prepare
    await engine.apply([userChange(6, '0/3000', 'public.accounts')]);

    // Act
    await cache.get('account', { id: 6 }, () => ({ id: 6 }));
    const heldOff = await cache.peek('account', { id: 6 });
    await cache.get('account', { id: 7 }, () => ({ id: 7 })); // no change applied to this key

    // Assess
    expect(heldOff).toBeUndefined();
    expect(refused).toContainEqual(expect.objectContaining({ entity: 'account', reason: 'replica-lag' }));
    expect(await cache.peek('account', { id: 7 })).toEqual({ id: 7 });
  });

  it('compares a DynamoDB version attribute with the same encoding as the decoder', async () => {
    // Prepare: item I1 changed to rev 8
    await engine.apply([
      {
        source: 'dynamodb',
        table: 'Items',
        op: 'update',
        before: { pk: 'I1', rev: 7 },
        after: { pk: 'I1', rev: 8 },
        key: { pk: 'I1' },
        version: '8'.padStart(40, '0'),
        committedAt: Date.now(),
        position: null,
      },
    ]);

    // Act: an eventually consistent read still returns rev 7, then a later one rev 8
    await cache.get('item', { pk: 'I1' }, (ctx) => {
      ctx.readPosition(7);
      return { pk: 'I1', rev: 7 };
    });
    const afterStale = await cache.peek('item', { pk: 'I1' });
    await cache.get('item', { pk: 'I1' }, (ctx) => {
      ctx.readPosition(8);
      return { pk: 'I1', rev: 8 };
    });

    // Assess
    expect(afterStale).toBeUndefined();
    expect(await cache.peek('item', { pk: 'I1' })).toEqual({ pk: 'I1', rev: 8 });
  });

  it('rejects a position that does not fit the source, naming it', async () => {
    // Act
    const read = cache.get('user', { id: 9 }, (ctx) => {
      ctx.readPosition({ gtid: '3E11FA47-71CA-11E1-9E33-C80AA9429562:23' } as never);
      return { id: 9 };
    });

    // Assess
    await expect(read).rejects.toMatchObject({ code: 'CDC_INVALID_OPTION' });
  });
});
