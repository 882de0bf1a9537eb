import { jsonSerializer } from '../../../src/redis/serializer';
import type { CacheEventMap } from '../../../src/sdk/cache-events';
import { writeEntry } from '../../../src/sdk/entry-codec';
import { createVerifySampler } from '../../../src/sdk/verify-sampler';

const WRITTEN = 1_000_000;
const entry = (payload: unknown, writtenAtMs = WRITTEN) =>
  writeEntry({
    generation: 0,
    version: '',
    writtenAtMs,
    staleAtMs: writtenAtMs + 60_000,
    payload: payload === null ? null : jsonSerializer.serialize(payload),
  });

/** A sampler on a manual clock: `advance()` runs the timers due. */
function harness(
  options: { rate?: number; maxPending?: number; draws?: number[]; redis?: string | null } = {},
) {
  const timers: { at: number; run: () => void }[] = [];
  const state = { now: WRITTEN + 100, redis: options.redis ?? null };
  const events: CacheEventMap['verify'][] = [];
  const draws = [...(options.draws ?? [])];
  const sampler = createVerifySampler(
    { rate: options.rate ?? 1, delayMs: 1_000, maxPending: options.maxPending ?? 10 },
    {
      serializer: jsonSerializer,
      // The entity's current generation is the entries' (0): a served entry still held is current.
      read: async () => [state.redis, '0'],
      emit: (event) => events.push(event),
      now: () => state.now,
      random: () => draws.shift() ?? 0,
      setTimer: (run, ms) => {
        const timer = { at: state.now + ms, run };
        timers.push(timer);
        return timer;
      },
      clearTimer: (timer) => timers.splice(timers.indexOf(timer as never), 1),
    },
  );
  const advance = async (ms: number) => {
    state.now += ms;
    for (const timer of timers.filter((candidate) => candidate.at <= state.now)) {
      timers.splice(timers.indexOf(timer), 1);
      timer.run();
    }
    for (let tick = 0; tick < 10; tick++) await Promise.resolve();
  };
  return { sampler, state, events, advance, timers };
}

describe('createVerifySampler', () => {
  it('counts a match when the reloaded value equals the one served (key order aside)', async () => {
    // Prepare
    const { sampler, events, advance } = harness();
    // Act
    sampler.sample('user', 'user:1', 'gen', entry({ id: 1, name: 'Ann' }), () => ({ name: 'Ann', id: 1 }));
    await advance(1_000);
    // Assess
    expect(events).toEqual([{ entity: 'user', key: 'user:1', outcome: 'match' }]);
  });

  it('confirms a mismatch only if Redis still holds the served entry a window later, with its age', async () => {
    // Prepare: the served entry stays in Redis
    const served = entry({ id: 1, name: 'Ann' });
    const { sampler, events, advance } = harness({ redis: served });
    // Act
    sampler.sample('user', 'user:1', 'gen', served, () => ({ id: 1, name: 'Anna' }));
    await advance(1_000);
    const afterReload = [...events];
    await advance(1_000);
    // Assess
    expect(afterReload).toEqual([]);
    expect(events).toEqual([{ entity: 'user', key: 'user:1', outcome: 'mismatch', ageMs: 2_100 }]);
  });

  it('calls it changed when the entry was invalidated or refilled within the window', async () => {
    const served = entry({ id: 1, name: 'Ann' });
    const { sampler, state, events, advance } = harness({ redis: served });
    sampler.sample('user', 'user:1', 'gen', served, () => ({ id: 1, name: 'Anna' }));
    await advance(1_000);
    state.redis = entry({ id: 1, name: 'Anna' }, WRITTEN + 1_500);
    await advance(1_000);
    expect(events).toEqual([{ entity: 'user', key: 'user:1', outcome: 'changed' }]);
  });

  it('treats a cached not-found and a loader returning undefined as the same', async () => {
    const { sampler, events, advance } = harness();
    sampler.sample('user', 'user:9', 'gen', entry(null), () => undefined);
    await advance(1_000);
    expect(events).toEqual([{ entity: 'user', key: 'user:9', outcome: 'match' }]);
  });

  it('samples by the rate, bounds what is pending, reports failures, and cancels on close', async () => {
    // Prepare
    const { sampler, events, advance, timers } = harness({
      rate: 0.5,
      maxPending: 1,
      draws: [0.7, 0.1, 0.2],
    });
    // Act
    sampler.sample('user', 'a', 'gen', entry(1), () => 1); // 0.7: not sampled
    sampler.sample('user', 'b', 'gen', entry(1), () => {
      throw new Error('db down');
    }); // 0.1: sampled
    sampler.sample('user', 'c', 'gen', entry(1), () => 1); // 0.2: sampled, but one is pending already
    await advance(1_000);
    sampler.sample('user', 'd', 'gen', entry(1), () => 1);
    sampler.close();
    await advance(5_000);
    // Assess
    expect(events).toEqual([
      { entity: 'user', key: 'c', outcome: 'dropped' },
      { entity: 'user', key: 'b', outcome: 'failed' },
    ]);
    expect(timers).toEqual([]);
  });
});
