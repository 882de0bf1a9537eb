import { defineKeyspace } from '../../../src/keyspace';
import type { RedisPort } from '../../../src/redis/redis-port';
import { jsonSerializer } from '../../../src/redis/serializer';
import { resolveCacheEntities } from '../../../src/sdk/cache-entities';
import { type CacheEventMap, CacheEvents } from '../../../src/sdk/cache-events';
import { writeEntry } from '../../../src/sdk/entry-codec';
import type { LeaseAttempt, LeaseProtocol } from '../../../src/sdk/lease-protocol';
import { createLoaderRunner } from '../../../src/sdk/loader-runner';
import { NO_FLOOR } from '../../../src/sdk/read-position-check';
import { createRedisGuard } from '../../../src/sdk/redis-guard';
import { type MissDeps, resolveMiss } from '../../../src/sdk/resolve-miss';
import { createManualClock, type ManualClock } from '../../support/manual-clock';

// The miss path's timing (lease wait, grace, soft timeout) on a test clock, over a fake lease protocol: no
// Redis and no sleeping. The protocol itself runs against real Redis in test/integration/sdk.

const GENERATION = 7;
const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', grace: '1m', sources: [{ table: 'public.users' }] },
});
const entities = resolveCacheEntities(keyspace, '', 10_000);
const user = entities.get('user');

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function staleEntry(clock: ManualClock, name: string): string {
  const now = clock.now();
  return writeEntry({
    generation: GENERATION,
    version: '',
    writtenAtMs: now - 400_000,
    staleAtMs: now - 100_000,
    payload: jsonSerializer.serialize({ id: 1, name }),
  });
}

/** Miss-path dependencies on a manual clock; Redis answers `polled` to every poll of the entry. */
function missDeps(
  attempt: LeaseAttempt,
  polled: string,
  timing: { leaseWaitMs?: number; softMs?: number } = {},
) {
  const clock = createManualClock();
  const events = new CacheEvents();
  const seen: { leaseWaits: CacheEventMap['lease-wait'][]; loads: CacheEventMap['load'][] } = {
    leaseWaits: [],
    loads: [],
  };
  events.on('lease-wait', (event) => seen.leaseWaits.push(event));
  events.on('load', (event) => seen.loads.push(event));
  const fills: unknown[] = [];
  const leases: LeaseProtocol = {
    take: async () => attempt,
    fill: async (_entity, _key, _token, _generation, _version, value) => {
      fills.push(value);
      return true;
    },
    release: () => undefined,
  };
  const redis = { cluster: false, command: async () => [polled, String(GENERATION)] } as unknown as RedisPort;
  const guard = createRedisGuard({
    redis,
    commandTimeoutMs: 250,
    breaker: false,
    events,
    clock,
  });
  const deps: MissDeps = {
    events,
    clock,
    guard,
    loaders: createLoaderRunner({ hardTimeoutMs: 0, events, clock }),
    leases,
    tags: { add: async () => undefined, deleteByTag: async () => 0 },
    serializer: jsonSerializer,
    leaseWaitMs: timing.leaseWaitMs ?? 3000,
    loaderSoftTimeoutMs: timing.softMs ?? 0,
  };
  return { deps, clock, seen, fills };
}

const missed = (load: () => unknown) => ({
  entity: user,
  key: 'user:1',
  params: { id: 1 },
  loaders: { load, fresh: undefined },
  options: undefined,
});

describe('resolveMiss on a test clock', () => {
  it("waits for another reader's fill up to leaseWait, then loads without caching", async () => {
    // Prepare
    const { deps, clock, seen, fills } = missDeps(
      { outcome: 'wait', generation: GENERATION },
      `l|${GENERATION}||other`,
    );
    let loads = 0;
    const value = resolveMiss(
      deps,
      missed(() => ({ id: 1, name: `load ${++loads}` })),
      GENERATION,
    );
    // Act
    await clock.advance(2999);
    const loadsBeforeDeadline = loads;
    await clock.advance(1);
    // Assess
    expect(loadsBeforeDeadline).toBe(0);
    expect(await value).toEqual({ id: 1, name: 'load 1' });
    expect(seen.leaseWaits).toEqual([{ entity: 'user', key: 'user:1', waitedMs: 3000, outcome: 'timeout' }]);
    expect(fills).toEqual([]);
    deps.guard.close();
  });

  it("serves the other reader's fill as soon as a poll finds it", async () => {
    // Prepare
    const now = 1_700_000_000_000;
    const filled = writeEntry({
      generation: GENERATION,
      version: '',
      writtenAtMs: now,
      staleAtMs: now + 60_000,
      payload: jsonSerializer.serialize({ id: 1, name: 'filled by another' }),
    });
    const { deps, clock, seen } = missDeps({ outcome: 'wait', generation: GENERATION }, filled);
    // Act
    const value = resolveMiss(
      deps,
      missed(() => ({ id: 1, name: 'never loaded' })),
      GENERATION,
    );
    await clock.advance(5);
    // Assess
    expect(await value).toEqual({ id: 1, name: 'filled by another' });
    expect(seen.leaseWaits).toEqual([{ entity: 'user', key: 'user:1', waitedMs: 5, outcome: 'hit' }]);
    deps.guard.close();
  });

  it('in grace, serves the stale value at once and refreshes it in the background', async () => {
    // Prepare
    const clock = createManualClock();
    const attempt: LeaseAttempt = {
      outcome: 'refresh',
      token: 'refresh-token',
      generation: GENERATION,
      floor: NO_FLOOR,
      raw: staleEntry(clock, 'v1'),
    };
    const { deps, fills, clock: depsClock } = missDeps(attempt, '');
    const row = deferred<{ id: number; name: string }>();
    // Act
    const value = await resolveMiss(
      deps,
      missed(() => row.promise),
      GENERATION,
    );
    row.resolve({ id: 1, name: 'v2' });
    await depsClock.advance(0);
    // Assess
    expect(value).toEqual({ id: 1, name: 'v1' });
    expect(fills).toEqual([{ id: 1, name: 'v2' }]);
    deps.guard.close();
  });

  it('with a soft timeout, serves a quick refresh, and the stale value once the soft timeout passes', async () => {
    // Prepare
    const clock = createManualClock();
    const attempt: LeaseAttempt = {
      outcome: 'refresh',
      token: 'refresh-token',
      generation: GENERATION,
      floor: NO_FLOOR,
      raw: staleEntry(clock, 'v1'),
    };
    const quick = missDeps(attempt, '', { softMs: 150 });
    const slow = missDeps(attempt, '', { softMs: 150 });
    const slowRow = deferred<{ id: number; name: string }>();
    // Act
    const quickValue = resolveMiss(
      quick.deps,
      missed(() => ({ id: 1, name: 'v2' })),
      GENERATION,
    );
    const slowValue = resolveMiss(
      slow.deps,
      missed(() => slowRow.promise),
      GENERATION,
    );
    await slow.clock.advance(149);
    const beforeSoftTimeout = await Promise.race([slowValue, Promise.resolve('pending')]);
    await slow.clock.advance(1);
    // Assess
    expect(await quickValue).toEqual({ id: 1, name: 'v2' });
    expect(beforeSoftTimeout).toBe('pending');
    expect(await slowValue).toEqual({ id: 1, name: 'v1' });
    slowRow.resolve({ id: 1, name: 'v2' });
    quick.deps.guard.close();
    slow.deps.guard.close();
  });
});
