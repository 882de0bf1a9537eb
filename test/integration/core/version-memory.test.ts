import { Redis } from 'ioredis';
import type { ChangeEvent, Row } from '../../../src/core/change-event';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { createCache, defineKeyspace } from '../../../src/index';
import { generationKey } from '../../../src/keyspace';
import { decodeStreamRecord } from '../../../src/sources/dynamodb';
import { dynamodbRecordFactory } from '../../unit/dynamodb/dynamodb-record-factory';
import { deletePrefix, pollUntil, uniquePrefix, userEvent } from './core-test-support';

// Issue 14, defects 1, 5, 6 and 7: what the worker remembers about a key, and for how long.

const pg = (n: number) => String(n).padStart(20, '0');
const seq = (n: number) => String(n).padStart(40, '0');

function dynamoEvent(
  op: ChangeEvent['op'],
  key: Row,
  before: Row | null,
  after: Row | null,
  version: string,
): ChangeEvent<null> {
  return {
    source: 'dynamodb',
    table: 'Users',
    op,
    before,
    after,
    key,
    version,
    committedAt: Date.now(),
    position: null,
  };
}

describe('the version memory of the worker', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const prefixes: string[] = [];
  const prefixFor = (label: string) => {
    const prefix = uniquePrefix(label);
    prefixes.push(prefix);
    return prefix;
  };
  afterAll(async () => {
    for (const prefix of prefixes) await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('never compares versions of different DynamoDB items that meet on a key built from a non-key attribute', async () => {
    // Prepare: the sequence of issue 14 (B takes email x, moves to y; A then takes x with a lower sequence)
    const keyspace = defineKeyspace({
      userByEmail: {
        key: 'user-by-email:{email}',
        ttl: '5m',
        mode: 'refresh',
        sources: [{ dynamodb: 'Users' }],
      },
    });
    const prefix = prefixFor('cross-item');
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    await engine.apply([dynamoEvent('create', { id: 'B' }, null, { id: 'B', email: 'x' }, seq(9_10))]);
    await engine.apply([
      dynamoEvent('update', { id: 'B' }, { id: 'B', email: 'x' }, { id: 'B', email: 'y' }, seq(9_20)),
    ]);
    await engine.apply([
      dynamoEvent('create', { id: 'A' }, null, { id: 'A', email: 'x', name: 'a1' }, seq(1_10)),
    ]);
    // A reader fills A's first image under a lease
    const first = await cache.get('userByEmail', { email: 'x' }, () => ({ id: 'A', email: 'x', name: 'a1' }));

    // Act: A changes (its sequence number is still below B's)
    await engine.apply([
      dynamoEvent(
        'update',
        { id: 'A' },
        { id: 'A', email: 'x', name: 'a1' },
        { id: 'A', email: 'x', name: 'a2' },
        seq(1_20),
      ),
    ]);

    // Assess: the change of A is not refused; its old image is not served
    expect(first).toEqual({ id: 'A', email: 'x', name: 'a1' });
    expect(await cache.peek('userByEmail', { email: 'x' })).not.toEqual({ id: 'A', email: 'x', name: 'a1' });
    await cache.close();
  });

  it('accepts a re-created DynamoDB item whose version attribute starts again at 1', async () => {
    // Prepare: versions from the item's 'rev' attribute; the item reaches rev 5, is removed, and created again
    const keyspace = defineKeyspace({
      product: { key: 'product:{pk}', ttl: '5m', mode: 'refresh', sources: [{ dynamodb: 'Products' }] },
    });
    const prefix = prefixFor('recreated');
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    const decode = (record: ReturnType<typeof dynamodbRecordFactory>) =>
      decodeStreamRecord(record, { versionAttribute: 'rev' });
    const modified = decode(
      dynamodbRecordFactory({ newImage: { pk: 'P1', rev: 5, price: 50 }, oldImage: { pk: 'P1', rev: 4 } }),
    );
    const removed = decode(
      dynamodbRecordFactory({ eventName: 'REMOVE', oldImage: { pk: 'P1', rev: 5, price: 50 } }),
    );
    const recreated = decode(
      dynamodbRecordFactory({ eventName: 'INSERT', newImage: { pk: 'P1', rev: 1, price: 10 } }),
    );
    const changed = decode(
      dynamodbRecordFactory({ newImage: { pk: 'P1', rev: 2, price: 20 }, oldImage: { pk: 'P1', rev: 1 } }),
    );

    // Act
    await engine.apply([modified]);
    await engine.apply([removed]);
    await engine.apply([recreated]);
    const afterCreate = await cache.peek('product', { pk: 'P1' });
    await engine.apply([changed]);

    // Assess
    expect(afterCreate).toEqual({ pk: 'P1', rev: 1, price: 10 });
    expect(await cache.peek('product', { pk: 'P1' })).toEqual({ pk: 'P1', rev: 2, price: 20 });
    await cache.close();
  });

  it('never serves an entry from before a truncate when the generation key is lost', async () => {
    // Prepare: a value cached, then the table truncated
    const keyspace = defineKeyspace({
      user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
    });
    const prefix = prefixFor('lost-generation');
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'before truncate' }));
    await engine.apply([userEvent({ op: 'truncate', before: null, after: null, version: pg(50) })]);

    // Act: the generation key disappears (eviction, failover, a manual DEL)
    await redis.del(generationKey(prefix, 'user'));
    let loads = 0;
    const value = await cache.get('user', { id: 1 }, () => {
      loads += 1;
      return { id: 1, name: 'after truncate' };
    });

    // Assess
    expect(value).toEqual({ id: 1, name: 'after truncate' });
    expect(loads).toBe(1);
    await cache.close();
  });

  it('lists a refreshed value under its tags, so deleteByTag removes it', async () => {
    // Prepare
    const keyspace = defineKeyspace({
      profile: {
        key: 'profile:{id}',
        ttl: '5m',
        mode: 'refresh',
        tags: ['tenant:{tenantId}'],
        sources: [{ table: 'public.users', fields: { tenantId: 'tenant_id' } }],
      },
    });
    const prefix = prefixFor('refresh-tags');
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    await engine.apply([
      userEvent({
        before: { id: 7, tenant_id: 3, name: 'a' },
        after: { id: 7, tenant_id: 3, name: 'b' },
        version: pg(10),
      }),
    ]);
    expect(await cache.peek('profile', { id: 7 })).toEqual({ id: 7, tenant_id: 3, name: 'b' });

    // Act
    const deleted = await cache.deleteByTag('tenant:3');

    // Assess
    expect(deleted).toBe(1);
    expect(await cache.peek('profile', { id: 7 })).toBeUndefined();
    await cache.close();
  });

  it('refuses a late duplicate or a replayed dead letter older than a change applied before the value expired', async () => {
    // Prepare: a short-lived refreshed value (the newer change), left to expire
    const keyspace = defineKeyspace({
      profile: {
        key: 'profile:{id}',
        ttl: '200ms',
        ttlJitter: 0,
        mode: 'refresh',
        sources: [{ table: 'public.users' }],
      },
    });
    const prefix = prefixFor('replay');
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    const older = userEvent({
      before: { id: 9, name: 'v1' },
      after: { id: 9, name: 'v1' },
      version: pg(100),
    });
    const newer = userEvent({
      before: { id: 9, name: 'v1' },
      after: { id: 9, name: 'v2' },
      version: pg(200),
    });
    await engine.apply([newer]);
    await pollUntil(
      async () => (await redis.exists(`${prefix}profile:9`)) === 0,
      5_000,
      'the value to expire',
    );

    // Act: the older change is delivered again (a late duplicate, or the dead letter replayed)
    await engine.apply([older]);

    // Assess
    expect(await cache.peek('profile', { id: 9 })).toBeUndefined();
    await cache.close();
  });

  it('leaves a versioned tombstone in delete mode instead of forgetting the change', async () => {
    // Prepare
    const keyspace = defineKeyspace({
      user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
    });
    const prefix = prefixFor('tombstone');
    const engine = createInvalidationEngine({ keyspace, redis, prefix, tombstoneTtlMs: 60_000 });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    await cache.get('user', { id: 4 }, () => ({ id: 4 }));

    // Act
    await engine.apply([userEvent({ before: { id: 4 }, after: { id: 4 }, version: pg(300) })]);

    // Assess: the entry is gone, its version is remembered for the configured window
    expect(await redis.exists(`${prefix}user:4`)).toBe(0);
    const memory = `${prefix}_cc:ver:{${prefix}user:4}`;
    expect(await redis.get(memory)).toMatch(new RegExp(`^${pg(300)}\\|\\d+\\|$`));
    expect(await redis.pttl(memory)).toBeGreaterThan(50_000);
    await cache.close();
  });
});
