import { CdcCacheError } from '../errors';
import type { RedisPort, RedisReply } from '../redis/redis-port';
import { isReplyError } from '../redis/reply-error';
import type { BypassReason, CacheEvents } from './cache-events';
import { type CircuitBreaker, createCircuitBreaker } from './circuit-breaker';
import type { Clock } from './clock';
import { createReadBatcher, type EntryReader } from './read-batcher';
import { createTimeoutSweeper } from './timeout-sweeper';

/** Rejects every call while the breaker is open; one shared instance, so it is recognised by identity. */
export const BREAKER_OPEN = new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'Redis circuit breaker is open', {
  retriable: true,
});

/** A Redis failure as a coded, retriable error (a `CdcCacheError` passes through unchanged). */
export function redisError(operation: string, error: unknown): CdcCacheError {
  if (error instanceof CdcCacheError) return error;
  return new CdcCacheError(
    'CDC_REDIS_UNAVAILABLE',
    `Redis ${operation} failed: ${(error as Error)?.message ?? error}`,
    { cause: error, retriable: true },
  );
}

/** Why a read that failed on Redis is served from the loader. */
export function bypassReason(error: unknown): BypassReason {
  return error === BREAKER_OPEN ? 'breaker-open' : 'redis-error';
}

/** What {@link createRedisGuard} needs. */
export interface RedisGuardOptions {
  /** Redis through the port (any client); on Cluster an entry and its generation key are two GETs, not one MGET. */
  readonly redis: RedisPort;
  /** Per command: past it the call rejects with `CDC_REDIS_UNAVAILABLE` (and counts as a failure). */
  readonly commandTimeoutMs: number;
  /** Consecutive-failure breaker settings, or false for none. */
  readonly breaker: { readonly failureThreshold: number; readonly resetTimeoutMs: number } | false;
  readonly events: CacheEvents;
  readonly clock: Clock;
}

/** The one way the SDK talks to Redis: every call under the command timeout and the breaker. */
export interface RedisGuard {
  /** Run one Redis call under the timeout and the breaker; rejects with a `CdcCacheError`. */
  run<T>(operation: string, call: () => Promise<T>): Promise<T>;
  /** Read an entry and its entity's generation key (standalone: coalesced into one MGET per tick). */
  readonly read: EntryReader;
  /** Read many keys in one round trip (MGET; on a cluster, GETs sent together), as `get-many`. */
  readMany(keys: string[]): Promise<(string | null)[]>;
  /** Emit a handled failure as an `error` event; a refusal by the open breaker is not one. */
  report(operation: string, error: unknown, entity?: string, key?: string): void;
  /** Stop the timeout timer. */
  close(): void;
}

/**
 * Guard every Redis call of a cache, as bentocache's remote-cache facade does: one per-command timeout
 * (one sweeper for all calls), one circuit breaker, and one way to report what was handled. Fail-open is
 * the caller's decision: a read that rejects here is served from the loader.
 *
 * @example
 * const guard = createRedisGuard({ client, cluster: false, commandTimeoutMs: 250, breaker: false, events, clock: systemClock })
 * const [raw, generation] = await guard.read(key, generationKey)
 */
export function createRedisGuard(options: RedisGuardOptions): RedisGuard {
  const { redis, events, commandTimeoutMs } = options;
  const breaker: CircuitBreaker | undefined = options.breaker
    ? createCircuitBreaker({
        failureThreshold: options.breaker.failureThreshold,
        resetTimeoutMs: options.breaker.resetTimeoutMs,
        now: () => options.clock.now(),
        onStateChange: (state) => events.emit('breaker', { state }),
      })
    : undefined;
  const sweeper = createTimeoutSweeper(commandTimeoutMs, undefined, options.clock);

  function run<T>(operation: string, call: () => Promise<T>): Promise<T> {
    if (breaker && !breaker.allow()) return Promise.reject(BREAKER_OPEN);
    return new Promise<T>((resolve, reject) => {
      const tracked = sweeper.track(() => {
        breaker?.failure();
        reject(
          new CdcCacheError(
            'CDC_REDIS_UNAVAILABLE',
            `Redis ${operation} timed out after ${commandTimeoutMs}ms`,
            { retriable: true },
          ),
        );
      });
      call().then(
        (value) => {
          if (tracked.settled) return;
          tracked.settled = true;
          breaker?.success();
          resolve(value);
        },
        (error: unknown) => {
          if (tracked.settled) return;
          tracked.settled = true;
          // A reply error (a wrong type, a script error) means Redis answered: it must not open the breaker.
          if (isReplyError(error)) breaker?.success();
          else breaker?.failure();
          reject(redisError(operation, error));
        },
      );
    });
  }

  // Standalone: concurrent reads of one tick share one MGET (under one timeout). Cluster: the entry and the
  // generation key live in different slots, so two GETs sent together, each under the timeout.
  const mget = async (keys: readonly string[]) =>
    texts((await redis.command(['MGET', ...keys])) as RedisReply[]);
  const getEach = async (keys: readonly string[]) =>
    texts(await redis.batch(keys.map((key) => ['GET', key])));
  const batchedRead = createReadBatcher((keys) => run('get', () => mget(keys)));
  const read: EntryReader = redis.cluster
    ? (key, generationKey) => run('get', () => getEach([key, generationKey]))
    : batchedRead;

  return {
    run,
    read,
    readMany: (keys) => run('get-many', () => (redis.cluster ? getEach(keys) : mget(keys))),
    report(operation, error, entity, key) {
      if (error === BREAKER_OPEN || !events.has('error')) return;
      const wrapped = redisError(operation, error);
      events.emit(
        'error',
        entity === undefined ? { operation, error: wrapped } : { operation, error: wrapped, entity, key },
      );
    },
    close: () => sweeper.close(),
  };
}

/** Replies of GET or MGET as texts (null when missing); an error reply rejects. */
function texts(replies: readonly (RedisReply | Error)[]): (string | null)[] {
  return replies.map((reply) => {
    if (reply instanceof Error) throw reply;
    return typeof reply === 'string' ? reply : null;
  });
}
