import { CdcCacheError } from '../errors';
import type { ReadPoint } from '../keyspace';
import type { BypassReason, CacheEvents } from './cache-events';
import type { Clock } from './clock';

/** Where a loader's reported read position lands. */
export interface ReadSink {
  position?: ReadPoint;
}

/** A loader as the miss path calls it: with the sink its `readPosition` writes to. */
export type Load = (sink: ReadSink) => unknown;

/** A loader call under the hard timeout. */
export interface LoaderCall<Value> {
  /** The loader's own result: it keeps running past the timeout (and may still fill). */
  readonly underlying: Promise<Value>;
  /** The result, or `CDC_LOADER_TIMEOUT` once the hard timeout passes. */
  readonly bounded: Promise<Value>;
}

/** What {@link createLoaderRunner} needs. */
export interface LoaderRunnerOptions {
  /** Reject a loader call past this (0: never). */
  readonly hardTimeoutMs: number;
  readonly events: CacheEvents;
  readonly clock: Clock;
}

/** Runs loaders: one flight per key in this process, the hard timeout, and the `load` event. */
export interface LoaderRunner {
  /** The load in flight for `key` in this process, if any. */
  pending(key: string): Promise<unknown> | undefined;
  /** Join the load in flight for `key`, or start one with `start`. */
  joinOrStart(key: string, start: () => Promise<unknown>): Promise<unknown>;
  /** Call a loader under the hard timeout. */
  call<Value>(loader: () => Promise<Value> | Value): LoaderCall<Value>;
  /** Serve from the loader without caching (Redis unavailable, or another reader's fill took too long). */
  loadUncached(entity: string, key: string, load: Load, bypass: BypassReason | undefined): Promise<unknown>;
  /** Emit the `load` event for a load that started at `startedMs` (on the runner's clock). */
  emitLoad(entity: string, key: string, startedMs: number, outcome: LoadOutcome): void;
}

/** How a load ended, as the `load` event reports it. */
export interface LoadOutcome {
  readonly found: boolean;
  readonly cached: boolean;
  readonly failed: boolean;
}

const FAILED: LoadOutcome = { found: false, cached: false, failed: true };

/**
 * The loader side of the miss path, as bentocache's factory runner: single flight per key (the lease does
 * it across processes), a hard timeout that rejects while the loader keeps running, and load events.
 *
 * @example
 * const loaders = createLoaderRunner({ hardTimeoutMs: 2000, events, clock: systemClock })
 * const value = await loaders.joinOrStart(key, () => loaders.loadUncached('user', key, load, 'redis-error'))
 */
export function createLoaderRunner(options: LoaderRunnerOptions): LoaderRunner {
  const { events, clock, hardTimeoutMs } = options;
  const inflight = new Map<string, Promise<unknown>>();

  function call<Value>(loader: () => Promise<Value> | Value): LoaderCall<Value> {
    const underlying = Promise.resolve().then(loader);
    if (hardTimeoutMs <= 0) return { underlying, bounded: underlying };
    const bounded = new Promise<Value>((resolve, reject) => {
      const timer = clock.setTimer(
        () =>
          reject(
            new CdcCacheError('CDC_LOADER_TIMEOUT', `Loader took longer than ${hardTimeoutMs}ms`, {
              retriable: true,
            }),
          ),
        hardTimeoutMs,
      );
      underlying.then(
        (value) => {
          clock.clearTimer(timer);
          resolve(value);
        },
        (error: unknown) => {
          clock.clearTimer(timer);
          reject(error);
        },
      );
    });
    return { underlying, bounded };
  }

  function emitLoad(entity: string, key: string, startedMs: number, outcome: LoadOutcome): void {
    if (events.has('load')) {
      events.emit('load', { entity, key, durationMs: clock.now() - startedMs, ...outcome });
    }
  }

  return {
    pending: (key) => inflight.get(key),
    joinOrStart(key, start) {
      const pending = inflight.get(key);
      if (pending) return pending;
      const flight = start().finally(() => inflight.delete(key));
      inflight.set(key, flight);
      return flight;
    },
    call,
    emitLoad,
    async loadUncached(entity, key, load, bypass) {
      if (bypass && events.has('bypass')) events.emit('bypass', { entity, key, reason: bypass });
      const started = clock.now();
      try {
        const value = await call(() => load({})).bounded;
        emitLoad(entity, key, started, {
          found: value !== null && value !== undefined,
          cached: false,
          failed: false,
        });
        return value ?? null;
      } catch (error) {
        emitLoad(entity, key, started, FAILED);
        throw error;
      }
    },
  };
}
