import { backoffDelay } from '../../core/retry';
import { CdcCacheError } from '../../errors';

/** Options of {@link createBackoff}. */
export interface BackoffOptions {
  /** First delay, in ms (default 500). */
  readonly initialMs?: number;
  /** Largest delay, in ms (default 30000). */
  readonly maxMs?: number;
  /** Random spread of each delay as a fraction (default 0.2 = ±20%), so a fleet does not retry in lockstep. */
  readonly jitter?: number;
  /** Random source in [0, 1) (tests). */
  readonly random?: () => number;
}

/** Defaults of {@link createBackoff}. */
export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 30_000, jitter: 0.2 } as const;

/** A bounded exponential backoff. */
export interface Backoff {
  /** The delay before the next attempt; each call doubles the next one, up to the bound. */
  next(): number;
  /** Start again from the first delay (after a success). */
  reset(): void;
  /** Failed attempts since the last reset. */
  readonly attempts: number;
}

/**
 * The delay before retry number `attempt` (0 for the first retry): `initialMs` doubled per attempt up to
 * `maxMs`, spread by ±`jitter`. For loops that count their own attempts; {@link createBackoff} counts them.
 *
 * @example
 * await sleep(delayForAttempt(attempt++, { initialMs: 200, maxMs: 30_000 }))
 */
export function delayForAttempt(attempt: number, options: BackoffOptions = {}): number {
  const { initialMs, maxMs, jitter } = validBackoff(options);
  // The engine's formula (doubling, capped, spread by jitter); a runtime's wait never exceeds its bound.
  const delay = backoffDelay(
    attempt + 1,
    { retries: 0, initialDelayMs: initialMs, maxDelayMs: maxMs, factor: 2, jitter },
    options.random,
  );
  return Math.round(Math.min(maxMs, delay));
}

/**
 * Bounded exponential backoff with jitter.
 *
 * @example
 * const backoff = createBackoff({ initialMs: 500, maxMs: 30_000 })
 * setTimeout(retry, backoff.next())
 */
export function createBackoff(options: BackoffOptions = {}): Backoff {
  validBackoff(options);
  let attempts = 0;
  return {
    next() {
      return delayForAttempt(attempts++, options);
    },
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
}

function validBackoff(options: BackoffOptions): { initialMs: number; maxMs: number; jitter: number } {
  const { initialMs, maxMs, jitter } = { ...DEFAULT_BACKOFF, ...options };
  if (!(initialMs > 0) || !(maxMs >= initialMs)) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'backoff: need 0 < initialMs ≤ maxMs');
  }
  if (!(jitter >= 0 && jitter < 1))
    throw new CdcCacheError('CDC_INVALID_OPTION', 'backoff: jitter must be in [0, 1)');
  return { initialMs, maxMs, jitter };
}
