import { Cluster, Redis } from 'ioredis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { defineKeyspace, versionKey } from '../../../src/keyspace';
import { pollUntil, uniquePrefix, userEvent } from './core-test-support';

// The worker's versioned tombstone keeps the transaction memory's rules (version-memory.lua tombstone()),
// on standalone Redis and on Cluster, whichever script path applies it: the newer remembered version and
// transaction survive an older change, and a change of a transaction the memory had not counted cancels a
// fill in progress even when the lease was taken at a newer version (its snapshot was checked against the
// older transaction). A batched fast path that parses the memory itself must keep both.
const keyspace = defineKeyspace({
  userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table: 'public.users' }] },
});
const v = (n: number) => String(n).padStart(20, '0');

/** A change of the row with `email`, at `version`, in transaction `xid`. */
function change(email: string, version: number, xid: string) {
  return userEvent({
    op: 'update',
    before: { id: 1, email },
    after: { id: 1, email },
    key: { id: 1 },
    version: v(version),
    transactionId: xid,
  });
}

describe.each([
  ['standalone Redis', () => new Redis({ host: '127.0.0.1', port: 6379 }) as Redis | Cluster],
  ['Redis Cluster', () => new Cluster([7001, 7002, 7003].map((port) => ({ host: '127.0.0.1', port })))],
])('versioned tombstones and the transaction memory on %s', (_name, connect) => {
  let redis: Redis | Cluster;
  beforeAll(async () => {
    redis = connect();
    await pollUntil(() => redis.status === 'ready', 20_000, 'the client to be ready');
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('keeps the newer remembered version and transaction when an older change is applied', async () => {
    // Prepare
    const prefix = uniquePrefix('tomb-xid');
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const key = `${prefix}user-by-email:a@x`;
    const memory = versionKey(prefix, key);
    await redis.set(memory, `${v(90)}|1|7409`, 'PX', 60_000);
    // Act: an older change of an older transaction (a redelivery).
    const [outcome] = await engine.apply([change('a@x', 50, '7408')]);
    // Assess
    expect(outcome?.status).toBe('applied');
    expect(await redis.get(memory)).toMatch(new RegExp(`^${v(90)}\\|\\d+\\|7409$`));
    await redis.unlink(key, memory);
  });

  it('cancels a lease taken at a newer version when a transaction the memory had not counted is applied', async () => {
    // Prepare: the key's memory counted transaction 100 (its change at v50); a fill holds a lease at that floor.
    const prefix = uniquePrefix('tomb-xid-lease');
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const key = `${prefix}user-by-email:b@x`;
    const memory = versionKey(prefix, key);
    await redis.set(memory, `${v(50)}|1|100`, 'PX', 60_000);
    await redis.set(key, `l|7|${v(50)}|token`, 'PX', 60_000);
    // Act: another row's change on this key, recorded earlier (v48) in a later transaction (101) that
    // committed after 100.
    const [outcome] = await engine.apply([change('b@x', 48, '101')]);
    // Assess: the lease is gone (its fill was checked against 100 only), and 101 is remembered.
    expect(outcome?.status).toBe('applied');
    expect(await redis.exists(key)).toBe(0);
    expect(await redis.get(memory)).toMatch(new RegExp(`^${v(50)}\\|\\d+\\|101$`));
    await redis.unlink(key, memory);
  });
});
