/** A timer handle as returned by {@link Clock.setTimer}. */
export type TimerHandle = unknown;

/**
 * Time as the SDK sees it: every lease TTL, staleness check, timeout, breaker reset and poll delay reads
 * it, so a test can drive time by hand instead of sleeping.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Run `run` once, `ms` from now. */
  setTimer(run: () => void, ms: number): TimerHandle;
  /** Cancel a timer from {@link Clock.setTimer}; a timer that already ran is ignored. */
  clearTimer(timer: TimerHandle): void;
}

/** The real clock: `Date.now` and Node's timers. */
export const systemClock: Clock = {
  // Read at call time, so that a test's fake Date (jest.useFakeTimers) is seen too.
  now: () => Date.now(),
  setTimer: (run, ms) => setTimeout(run, ms),
  clearTimer: (timer) => clearTimeout(timer as NodeJS.Timeout),
};

/** Let a timer not keep the process alive (a no-op for a handle that cannot, such as a test clock's). */
export function unrefTimer(timer: TimerHandle): TimerHandle {
  (timer as { unref?: () => void } | null)?.unref?.();
  return timer;
}

/**
 * A promise that resolves `ms` later on `clock`.
 *
 * @example
 * await sleep(systemClock, 50)
 */
export function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    clock.setTimer(resolve, ms);
  });
}
