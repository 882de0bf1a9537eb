import type { Clock } from '../../src/sdk/clock';

/** A {@link Clock} that moves only when a test says so. */
export interface ManualClock extends Clock {
  /**
   * Move time forward by `ms`, running each timer that falls due in order (at its own time), and letting
   * the promise chains it starts settle before the next one.
   */
  advance(ms: number): Promise<void>;
  /** Timers scheduled and not yet run or cleared. */
  pendingTimers(): number;
}

/** Let pending promise reactions run (and anything they chain), without real time passing for the clock. */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A test clock: `now()` starts at `startMs` and moves only on `advance`.
 *
 * @example
 * const clock = createManualClock()
 * const cache = createCache(options, { clock })
 * await clock.advance(250) // a command timeout, a lease wait, a soft timeout: no sleeping
 */
export function createManualClock(startMs = 1_700_000_000_000): ManualClock {
  let time = startMs;
  let sequence = 0;
  const timers = new Map<number, { readonly at: number; readonly run: () => void }>();
  const nextDue = (until: number) => {
    let due: [number, { at: number; run: () => void }] | undefined;
    for (const entry of timers) {
      if (entry[1].at <= until && (due === undefined || entry[1].at < due[1].at)) due = entry;
    }
    return due;
  };
  return {
    now: () => time,
    setTimer(run, ms) {
      sequence += 1;
      timers.set(sequence, { at: time + Math.max(0, ms), run });
      return sequence;
    },
    clearTimer(timer) {
      timers.delete(timer as number);
    },
    async advance(ms) {
      const target = time + ms;
      await settle();
      for (let due = nextDue(target); due !== undefined; due = nextDue(target)) {
        timers.delete(due[0]);
        time = Math.max(time, due[1].at);
        due[1].run();
        await settle();
      }
      time = target;
      await settle();
    },
    pendingTimers: () => timers.size,
  };
}
