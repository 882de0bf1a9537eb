import { type CacheEventMap, CacheEvents } from '../../../src/sdk/cache-events';
import { createLoaderRunner } from '../../../src/sdk/loader-runner';
import { createManualClock } from '../../support/manual-clock';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

function runnerOnClock(hardTimeoutMs: number) {
  const clock = createManualClock();
  const events = new CacheEvents();
  const loads: CacheEventMap['load'][] = [];
  const bypasses: CacheEventMap['bypass'][] = [];
  events.on('load', (event) => loads.push(event));
  events.on('bypass', (event) => bypasses.push(event));
  return { runner: createLoaderRunner({ hardTimeoutMs, events, clock }), clock, loads, bypasses };
}

describe('createLoaderRunner', () => {
  it('rejects with CDC_LOADER_TIMEOUT once the hard timeout passes on its clock, while the loader keeps running', async () => {
    // Prepare
    const { runner, clock } = runnerOnClock(2000);
    const row = deferred<string>();
    const call = runner.call(() => row.promise);
    const bounded = call.bounded.catch((error: unknown) => error);
    // Act
    await clock.advance(1999);
    const early = await Promise.race([bounded, Promise.resolve('pending')]);
    await clock.advance(1);
    row.resolve('late row');
    // Assess
    expect(early).toBe('pending');
    expect(await bounded).toMatchObject({ code: 'CDC_LOADER_TIMEOUT', retriable: true });
    expect(await call.underlying).toBe('late row');
  });

  it('clears the timer of a loader that answers in time', async () => {
    // Prepare
    const { runner, clock } = runnerOnClock(2000);
    // Act
    const value = await runner.call(() => 'row').bounded;
    // Assess
    expect(value).toBe('row');
    expect(clock.pendingTimers()).toBe(0);
  });

  it('runs one load per key at a time: a second reader joins the flight in progress', async () => {
    // Prepare
    const { runner } = runnerOnClock(0);
    const row = deferred<string>();
    let starts = 0;
    const start = () => {
      starts += 1;
      return row.promise;
    };
    // Act
    const first = runner.joinOrStart('user:1', start);
    const second = runner.joinOrStart('user:1', start);
    const pendingWhileLoading = runner.pending('user:1');
    row.resolve('row');
    const values = await Promise.all([first, second]);
    // Assess
    expect(starts).toBe(1);
    expect(pendingWhileLoading).toBe(first);
    expect(values).toEqual(['row', 'row']);
    expect(runner.pending('user:1')).toBeUndefined();
  });

  it('serves an uncached load with its bypass reason, and times the load on its clock', async () => {
    // Prepare
    const { runner, clock, loads, bypasses } = runnerOnClock(0);
    const row = deferred<string | null>();
    // Act
    const value = runner.loadUncached('user', 'user:1', () => row.promise, 'breaker-open');
    await clock.advance(40);
    row.resolve(null);
    // Assess
    expect(await value).toBeNull();
    expect(bypasses).toEqual([{ entity: 'user', key: 'user:1', reason: 'breaker-open' }]);
    expect(loads).toEqual([
      { entity: 'user', key: 'user:1', durationMs: 40, found: false, cached: false, failed: false },
    ]);
  });
});
