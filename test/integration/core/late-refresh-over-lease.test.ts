import { Redis } from 'ioredis';
import type { ChangeEvent, Row } from '../../../src/core/change-event';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { createCache, defineKeyspace } from '../../../src/index';
import { deletePrefix, uniquePrefix } from './core-test-support';

// The counterexample the end-to-end property found: a delete (v3) and an older update (v1) applied first,
// a reader then takes the lease over the tombstone, and the late update v2 arrives while it loads.
const keyspace = defineKeyspace({
  profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.users' }] },
});

const version = (n: number) => String(n).padStart(20, '0');
const event = (
  n: number,
  op: ChangeEvent['op'],
  before: Row | null,
  after: Row | null,
): ChangeEvent<null> => ({
  source: 'postgres',
  table: 'public.users',
  op,
  before,
  after,
  key: null,
  version: version(n),
  committedAt: Date.now(),
  position: null,
});

/**
 * A read of profile `id` whose loader stops at a gate: `entered` resolves once the loader runs, and
 * `releaseLoad` lets it return `row`, so a test can apply an event while the reader holds the lease.
 */
function gatedRead(cache: ReturnType<typeof createCache>, id: number, row: Row | null) {
  let releaseLoad!: () => void;
  const loadGate = new Promise<void>((resolve) => {
    releaseLoad = resolve;
  });
  let loaderEntered!: () => void;
  const entered = new Promise<void>((resolve) => {
    loaderEntered = resolve;
  });
  const read = cache.get('profile', { id }, async () => {
    loaderEntered();
    await loadGate;
    return row;
  });
  return { read, entered, releaseLoad };
}

describe('a late refresh while a reader holds the lease that replaced a tombstone', () => {
  const redis = new Redis({ host: '127.0.0.1', port: 6379 });
  const prefix = uniquePrefix('late-refresh');
  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('is not written: the lease keeps the tombstone version, and the reader caches the deleted row as not found', async () => {
    // Prepare: row 1 updated (v1, v2), then deleted (v3); v3 and v1 are applied first
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    const update1 = event(1, 'update', { id: 1, name: 'initial' }, { id: 1, name: 'at 1' });
    const update2 = event(2, 'update', { id: 1, name: 'at 1' }, { id: 1, name: 'at 2' });
    const remove3 = event(3, 'delete', { id: 1, name: 'at 2' }, null);
    await engine.apply([remove3, update1]);
    // The database: row 1 is gone
    const { read, entered, releaseLoad } = gatedRead(cache, 1, null);
    await entered;

    // Act: the late update v2 arrives while the reader loads
    const [outcome] = await engine.apply([update2]);
    releaseLoad();
    const value = await read;

    // Assess
    expect(outcome?.status).toBe('applied');
    expect(value).toBeNull();
    expect(await cache.peek('profile', { id: 1 })).not.toEqual({ id: 1, name: 'at 2' });
    expect(await redis.get(cache.keyOf('profile', { id: 1 }))).not.toMatch(/at 2/);
    await Promise.all([engine.close(), cache.close()]);
  });

  it('is not written after a truncate either: the lease keeps the version of the value it replaced', async () => {
    // Prepare: truncate (v1) and the row's latest update (v4) applied first; v4's value reads as a miss
    // (older generation), and a reader takes the lease over it
    const engine = createInvalidationEngine({ keyspace, redis, prefix });
    const cache = createCache({ keyspace, redis, prefix, commandTimeout: 2_000 });
    const truncate1 = event(1, 'truncate', null, null);
    const update3 = event(3, 'update', { id: 2, name: 'at 2' }, { id: 2, name: 'at 3' });
    const update4 = event(4, 'update', { id: 2, name: 'at 3' }, { id: 2, name: 'at 4' });
    await engine.apply([update4, truncate1]);
    const { read, entered, releaseLoad } = gatedRead(cache, 2, { id: 2, name: 'at 4' }); // the database
    await entered;

    // Act: the late update v3 arrives while the reader loads
    await engine.apply([update3]);
    releaseLoad();
    await read;

    // Assess
    expect(await cache.peek('profile', { id: 2 })).toEqual({ id: 2, name: 'at 4' });
    await Promise.all([engine.close(), cache.close()]);
  });
});
