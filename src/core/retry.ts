import { CdcCacheError } from '../errors';

/** How Redis operations are retried. */
export interface RetryOptions {
  /** Attempts after the first one before giving up. */
  readonly retries: number;
  /** Delay before the first retry, in ms. */
  readonly initialDelayMs: number;
  /** Upper bound of one delay, in ms. */
  readonly maxDelayMs: number;
  /** Growth factor of the delay per attempt. */
  readonly factor: number;
  /** Random spread of each delay, as a fraction (0.2 = ±20%), so workers do not retry in lockstep. */
  readonly jitter: number;
}

/** Defaults: 8 retries from 100 ms doubling up to 5 s, ±20% jitter (about 15 s before giving up). */
export const DEFAULT_RETRY_OPTIONS: RetryOptions = Object.freeze({
  retries: 8,
  initialDelayMs: 100,
  maxDelayMs: 5000,
  factor: 2,
  jitter: 0.2,
});

/** Called before each retry (instrumentation). */
export type RetryListener = (info: { attempt: number; delayMs: number; error: unknown }) => void;

const RETRIABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);
// Reply prefixes of transient server states, and ioredis messages for a lost or unusable connection.
const RETRIABLE_REPLY = /^(CLUSTERDOWN|TRYAGAIN|LOADING|MOVED|ASK|MASTERDOWN|READONLY|BUSY |NOREPLICAS)/;
const RETRIABLE_MESSAGE =
  /Connection is closed|max retries per request|Command timed out|Stream isn't writeable|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready|Connection in subscriber mode|socket closed unexpectedly/i;

/**
 * True when a Redis error is transient: a lost connection, a timeout, or a cluster/server state that
 * resolves by itself (CLUSTERDOWN, TRYAGAIN, LOADING, MOVED, ...). Script errors and WRONGTYPE are not.
 *
 * @example
 * isRetriableRedisError(new Error('LOADING Redis is loading the dataset in memory')) // true
 */
export function isRetriableRedisError(error: unknown): boolean {
  if (error instanceof CdcCacheError) return error.retriable;
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && RETRIABLE_CODES.has(code)) return true;
  if (error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError') return true;
  return RETRIABLE_REPLY.test(error.message) || RETRIABLE_MESSAGE.test(error.message);
}

/** The delay before retry number `attempt` (1-based), with jitter. */
export function backoffDelay(
  attempt: number,
  options: RetryOptions,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** (attempt - 1));
  return Math.max(0, Math.round(base * (1 + options.jitter * (2 * random() - 1))));
}

/** Validate retry options once, naming the bad field. */
export function resolveRetryOptions(
  options: Partial<RetryOptions> | undefined,
  path = 'retry',
): RetryOptions {
  const merged = { ...DEFAULT_RETRY_OPTIONS, ...options };
  const check = (name: keyof RetryOptions, ok: boolean, rule: string) => {
    if (!ok) {
      throw new CdcCacheError('CDC_INVALID_OPTION', `${path}.${name}: ${rule}, got ${String(merged[name])}`);
    }
  };
  check('retries', Number.isInteger(merged.retries) && merged.retries >= 0, 'must be a whole number >= 0');
  check(
    'initialDelayMs',
    Number.isFinite(merged.initialDelayMs) && merged.initialDelayMs >= 0,
    'must be >= 0',
  );
  check(
    'maxDelayMs',
    Number.isFinite(merged.maxDelayMs) && merged.maxDelayMs >= merged.initialDelayMs,
    'must be >= initialDelayMs',
  );
  check('factor', Number.isFinite(merged.factor) && merged.factor >= 1, 'must be >= 1');
  check('jitter', merged.jitter >= 0 && merged.jitter <= 1, 'must be from 0 to 1');
  return Object.freeze(merged);
}

/**
 * Run `operation` until it succeeds, retrying retriable Redis errors with bounded exponential backoff and
 * jitter. A non-retriable error is rethrown at once; when retries run out, a retriable
 * `CDC_REDIS_UNAVAILABLE` error is thrown with the last error as its cause.
 *
 * @example
 * await retry(() => client.unlink('user:42'), DEFAULT_RETRY_OPTIONS)
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
  onRetry?: RetryListener,
  sleep: (ms: number) => Promise<void> = defaultSleep,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetriableRedisError(error)) throw error;
      if (attempt >= options.retries) {
        throw new CdcCacheError(
          'CDC_REDIS_UNAVAILABLE',
          `Redis unavailable after ${attempt + 1} attempts: ${(error as Error).message}`,
          { cause: error, retriable: true, details: { attempts: attempt + 1 } },
        );
      }
      const delayMs = backoffDelay(attempt + 1, options);
      onRetry?.({ attempt: attempt + 1, delayMs, error });
      await sleep(delayMs);
    }
  }
}

function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
