import { setTimeout as delay } from 'node:timers/promises';
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

/**
 * How a runtime waits between attempts while Redis or its source is unreachable (it pauses and keeps its
 * position, with no limit on attempts): 500 ms doubling to 30 s, ±20%.
 */
export const DEFAULT_RUNTIME_BACKOFF = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.2,
});

/** Called before each retry (instrumentation). */
export type RetryListener = (info: { attempt: number; delayMs: number; error: unknown }) => void;

const CONNECTION_CODES = new Set([
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
// The client libraries' own names for a lost, refused, offline or timed-out connection: ioredis,
// node-redis (5, 6) and Valkey GLIDE (2).
const CONNECTION_ERROR_NAMES = new Set([
  'MaxRetriesPerRequestError',
  'ClusterAllFailedError',
  'ClientOfflineError',
  'ClientClosedError',
  'SocketClosedUnexpectedlyError',
  'ConnectionTimeoutError',
  'ReconnectStrategyError',
  'TimeoutError',
  'ClosingError',
  'ConnectionError',
]);
const CONNECTION_MESSAGE =
  /Connection is closed|max retries per request|Command timed out|Stream isn't writeable|Failed to refresh slots cache|None of startup nodes is available|Cluster isn't ready|Connection in subscriber mode|socket closed unexpectedly|The client is (?:offline|closed)/i;
// Error replies that describe the server, not the command: retrying the same command later succeeds once an
// operator (or a failover) fixes the server. Inside a script Redis 7 keeps the prefix and appends
// "script: <sha>"; older servers wrap it as "ERR Error running script ... -PREFIX".
const SERVER_REPLY =
  /^(?:ERR Error running script[^\n]*?-)?(OOM|NOAUTH|WRONGPASS|NOPERM|READONLY|LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|MOVED|ASK|BUSY|NOREPLICAS|MISCONF|NOTBUSY|UNBLOCKED|NOMASTERLINK)\b/;
// Redis reports an ACL key-pattern denial inside a script as a plain ERR.
const SCRIPT_ACL_MESSAGE = /^ERR The user executing the script can't access/;

/** Why Redis could not take a command, when the cause is the server or the network rather than the data. */
export type RedisFault =
  /** The connection is lost, refused or timed out. */
  | 'connection'
  /** `maxmemory` reached under `noeviction` (OOM). */
  | 'out-of-memory'
  /** The credentials no longer authenticate (NOAUTH, WRONGPASS: a rotated password). */
  | 'authentication'
  /** The ACL user lost a command or key pattern (NOPERM). */
  | 'permission'
  /** A transient server or cluster state: failover (READONLY, MASTERDOWN), LOADING, CLUSTERDOWN, BUSY, ... */
  | 'server-state';

const FAULT_OF_PREFIX: Record<string, RedisFault> = {
  OOM: 'out-of-memory',
  NOAUTH: 'authentication',
  WRONGPASS: 'authentication',
  NOPERM: 'permission',
};

/**
 * Classify a Redis error: an infrastructure fault (the network, or a server reply that says nothing about
 * the command: OOM, NOAUTH/WRONGPASS, NOPERM, READONLY, LOADING, MASTERDOWN, CLUSTERDOWN, TRYAGAIN, BUSY,
 * ...) or `undefined` for an error the command itself caused (WRONGTYPE, a script error). The one place
 * this rule is written: an infrastructure fault pauses and retries, it is never dead-lettered.
 *
 * @example
 * redisFault(new Error("OOM command not allowed when used memory > 'maxmemory'.")) // 'out-of-memory'
 */
export function redisFault(error: unknown): RedisFault | undefined {
  if (error instanceof CdcCacheError) {
    const fault = error.details['fault'];
    return typeof fault === 'string' ? (fault as RedisFault) : undefined;
  }
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  if (code && CONNECTION_CODES.has(code)) return 'connection';
  // node-redis leaves `name` as 'Error' on its own classes: read the class name too.
  if (CONNECTION_ERROR_NAMES.has(error.name) || CONNECTION_ERROR_NAMES.has(error.constructor.name))
    return 'connection';
  const reply = SERVER_REPLY.exec(error.message);
  if (reply) return FAULT_OF_PREFIX[reply[1]!] ?? 'server-state';
  if (SCRIPT_ACL_MESSAGE.test(error.message)) return 'permission';
  return CONNECTION_MESSAGE.test(error.message) ? 'connection' : undefined;
}

/**
 * True when a Redis error is an infrastructure fault ({@link redisFault}) or a retriable cdc-cache error:
 * retrying the same operation later may succeed. Script errors and WRONGTYPE are not.
 *
 * @example
 * isRetriableRedisError(new Error('LOADING Redis is loading the dataset in memory')) // true
 */
export function isRetriableRedisError(error: unknown): boolean {
  if (error instanceof CdcCacheError) return error.retriable;
  return redisFault(error) !== undefined;
}

/**
 * The delay before retry number `attempt` (1-based): `initialDelayMs` times `factor` per attempt, spread by
 * ±`jitter`, never above `maxDelayMs`. The one backoff formula of cdc-cache.
 *
 * @example
 * backoffDelay(3, { ...DEFAULT_RETRY_OPTIONS, jitter: 0 }) // 400
 */
export function backoffDelay(
  attempt: number,
  options: Omit<RetryOptions, 'retries'>,
  random: () => number = Math.random,
): number {
  const base = Math.min(options.maxDelayMs, options.initialDelayMs * options.factor ** (attempt - 1));
  const spread = Math.round(base * (1 + options.jitter * (2 * random() - 1)));
  return Math.max(0, Math.min(options.maxDelayMs, spread));
}

/** A backoff that counts its own attempts: for a runtime that waits by a timer rather than in {@link retry}. */
export interface Backoff {
  /** The delay before the next attempt; each call grows the next one, up to the bound. */
  next(): number;
  /** Start again from the first delay (after a success). */
  reset(): void;
  /** Failed attempts since the last reset. */
  readonly attempts: number;
}

/**
 * {@link backoffDelay} with an attempt counter (options validated by {@link resolveRetryOptions}).
 *
 * @example
 * const backoff = createBackoff({ initialDelayMs: 500, maxDelayMs: 30_000 })
 * setTimeout(resume, backoff.next())
 */
export function createBackoff(
  options: Partial<Omit<RetryOptions, 'retries'>> = {},
  random: () => number = Math.random,
): Backoff {
  const resolved = resolveRetryOptions(options, 'backoff');
  let attempts = 0;
  return {
    next: () => backoffDelay(++attempts, resolved, random),
    reset() {
      attempts = 0;
    },
    get attempts() {
      return attempts;
    },
  };
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

/** How {@link retry} reports and stops. */
export interface RetryControl {
  /** Called before each retry (instrumentation). */
  readonly onRetry?: RetryListener;
  /** Stops waiting: the last error is thrown at once (a worker stopping). */
  readonly signal?: AbortSignal;
  /** Which errors are retried (default {@link isRetriableRedisError}); others are rethrown at once. */
  readonly isRetriable?: (error: unknown) => boolean;
  /** The wait between attempts (tests); default {@link sleep}. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<unknown>;
  /** The delay before retry number `attempt` (tests); default {@link backoffDelay} with `Math.random`. */
  readonly delay?: (attempt: number) => number;
}

/**
 * Run `operation` until it succeeds, retrying retriable errors with bounded exponential backoff and jitter
 * (`retries: Infinity` retries until `signal` aborts). A non-retriable error is rethrown at once; when
 * retries run out, a retriable `CDC_REDIS_UNAVAILABLE` error is thrown with the last error as its cause and
 * its {@link RedisFault} in `details.fault`. The one retry loop of cdc-cache.
 *
 * @example
 * await retry(() => client.unlink('user:42'), DEFAULT_RETRY_OPTIONS, { onRetry: ({ delayMs }) => log(delayMs) })
 */
export async function retry<T>(
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions,
  control: RetryControl = {},
): Promise<T> {
  const isRetriable = control.isRetriable ?? isRetriableRedisError;
  const wait = control.sleep ?? sleep;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (!isRetriable(error)) throw error;
      if (attempt >= options.retries || control.signal?.aborted) throw unavailable(error, attempt + 1);
      const delayMs = control.delay?.(attempt + 1) ?? backoffDelay(attempt + 1, options);
      control.onRetry?.({ attempt: attempt + 1, delayMs, error });
      await wait(delayMs, control.signal);
    }
  }
}

function unavailable(error: unknown, attempts: number): CdcCacheError {
  if (error instanceof CdcCacheError) return error;
  const fault = redisFault(error);
  return new CdcCacheError(
    'CDC_REDIS_UNAVAILABLE',
    `Redis unavailable after ${attempts} attempts${fault ? ` (${fault})` : ''}: ${(error as Error)?.message ?? String(error)}`,
    { cause: error, retriable: true, details: { attempts, ...(fault ? { fault } : {}) } },
  );
}

/**
 * Wait `ms` milliseconds, or less if `signal` aborts; resolves `false` when cut short. Never rejects.
 *
 * @example
 * if (!(await sleep(backoff.next(), stopping.signal))) return // stopping
 */
export async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await delay(ms, undefined, signal ? { signal } : undefined);
    return true;
  } catch {
    return false;
  }
}
