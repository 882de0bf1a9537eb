import { type Clock, systemClock, type TimerHandle, unrefTimer } from './clock';

/** One tracked operation; set `settled` when it completes so that it never times out. */
export interface TrackedOperation {
  readonly deadline: number;
  settled: boolean;
  readonly onTimeout: () => void;
}

/** Times out operations that all share one timeout, with one timer for all of them. */
export interface TimeoutSweeper {
  /** Track an operation; call `onTimeout` unless it is marked settled by its deadline. */
  track(onTimeout: () => void): TrackedOperation;
  /** Stop the timer. */
  close(): void;
}

/**
 * A timeout for many operations without a timer each: operations share one timeout, so their deadlines
 * come in the order they were tracked, and one unref'd timer, re-armed while work is pending, sweeps the
 * front of a queue. A timeout fires up to `resolutionMs` late. Costs one small object per operation,
 * nothing when idle.
 *
 * @example
 * const sweeper = createTimeoutSweeper(250)
 * const op = sweeper.track(() => reject(new Error('timed out')))
 * redis.get(key).then((value) => { op.settled = true; resolve(value) })
 */
export function createTimeoutSweeper(
  timeoutMs: number,
  resolutionMs = Math.max(1, Math.min(25, Math.floor(timeoutMs / 4))),
  clock: Clock = systemClock,
): TimeoutSweeper {
  let queue: TrackedOperation[] = [];
  let head = 0;
  let timer: TimerHandle | undefined;
  let idle = false;
  const schedule = () => {
    timer = unrefTimer(clock.setTimer(sweep, resolutionMs));
  };
  const sweep = () => {
    const time = clock.now();
    while (head < queue.length) {
      const operation = queue[head]!;
      if (!operation.settled && operation.deadline > time) break;
      head += 1;
      if (!operation.settled) {
        operation.settled = true;
        operation.onTimeout();
      }
    }
    if (head === queue.length) {
      queue = [];
      head = 0;
      // Stop only after a whole idle period: a steady trickle of operations keeps one timer running.
      if (idle) {
        timer = undefined;
        return;
      }
      idle = true;
    } else if (head > 1024) {
      queue = queue.slice(head);
      head = 0;
    }
    schedule();
  };
  return {
    track(onTimeout) {
      const operation: TrackedOperation = { deadline: clock.now() + timeoutMs, settled: false, onTimeout };
      queue.push(operation);
      idle = false;
      if (timer === undefined) schedule();
      return operation;
    },
    close() {
      if (timer !== undefined) clock.clearTimer(timer);
      timer = undefined;
    },
  };
}
