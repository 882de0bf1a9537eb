import { ReplyError } from 'ioredis';
import { CdcCacheError } from '../errors';
import type { RedisClient } from '../redis/create-redis-client';
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
  readonly client: RedisClient;
  /** Redis Cluster: the entry and its generation key are read with two GETs, not one MGET. */
  readonly cluster: boolean;
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
  const { client, events, commandTimeoutMs } = options;
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
          if (error instanceof ReplyError) breaker?.success();
          else breaker?.failure();
          reject(redisError(operation, error));
        },
      );
    });
  }

  // Standalone: concurrent reads of one tick share one MGET (under one timeout). Cluster: the entry and the
  // generation key live in different slots, so two GETs sent together, each under the timeout.
  const batchedRead = createReadBatcher((keys) => run('get', () => client.mget(...keys)));
  const read: EntryReader = options.cluster
    ? (key, generationKey) => run('get', () => Promise.all([client.get(key), client.get(generationKey)]))
    : batchedRead;

  return {
    run,
    read,
    readMany: (keys) =>
      run('get-many', () =>
        options.cluster ? Promise.all(keys.map((key) => client.get(key))) : client.mget(...keys),
      ),
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
