/** The state of a {@link CircuitBreaker}. */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. */
  readonly failureThreshold: number;
  /** How long it stays open before one probe is let through. */
  readonly resetTimeoutMs: number;
  /** Clock, injectable for tests. */
  readonly now?: () => number;
  /** Called on every state change. */
  readonly onStateChange?: (state: BreakerState) => void;
}

/** Guards calls to Redis: once open, calls are refused at no cost until a probe succeeds. */
export interface CircuitBreaker {
  /** True when a call may go to Redis now (in half-open state: only the one probe). */
  allow(): boolean;
  /** Report a successful call. */
  success(): void;
  /** Report a failed call. */
  failure(): void;
  /** The current state. */
  readonly state: BreakerState;
}

/**
 * A consecutive-failure circuit breaker: `failureThreshold` failures in a row open it; after
 * `resetTimeoutMs` one probe call goes through (half-open); its success closes the breaker, its failure
 * opens it again. It recovers by itself, with no timer.
 *
 * @example
 * const breaker = createCircuitBreaker({ failureThreshold: 5, resetTimeoutMs: 1000 })
 * if (breaker.allow()) { try { await redis.get(key); breaker.success() } catch { breaker.failure() } }
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const now = options.now ?? Date.now;
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probing = false;
  const change = (next: BreakerState) => {
    if (state === next) return;
    state = next;
    options.onStateChange?.(next);
  };
  return {
    get state() {
      return state;
    },
    allow() {
      if (state === 'closed') return true;
      if (state === 'open') {
        if (now() - openedAt < options.resetTimeoutMs) return false;
        change('half-open');
        probing = false;
      }
      if (probing) return false;
      probing = true;
      return true;
    },
    success() {
      failures = 0;
      probing = false;
      change('closed');
    },
    failure() {
      failures += 1;
      probing = false;
      if (state === 'half-open' || failures >= options.failureThreshold) {
        openedAt = now();
        change('open');
      }
    },
  };
}
