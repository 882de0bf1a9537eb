import type { CacheActionKind } from '../core/cache-action';
import type { ChangeEvent } from '../core/change-event';
import type { EventOutcome } from '../core/ports';

/** Payloads of the engine's instrumentation events, by name. */
export interface InstrumentationEvents {
  /** A batch was planned and coalesced; `actions` counts coalesced actions by kind. */
  'batch.planned': {
    readonly events: number;
    readonly planned: number;
    readonly coalesced: number;
    readonly actions: Readonly<Record<CacheActionKind, number>>;
    readonly planMs: number;
  };
  /** A batch was applied (every action acknowledged by Redis, or failed for good). */
  'batch.applied': {
    readonly events: readonly ChangeEvent[];
    readonly outcomes: readonly EventOutcome[];
    readonly actions: Readonly<Record<CacheActionKind, number>>;
    /** Wall time of the whole `apply` call, in ms. */
    readonly durationMs: number;
    /** When Redis acknowledged the batch (ms since the epoch): lag = appliedAt - event.committedAt. */
    readonly appliedAt: number;
  };
  /** An event was skipped (table outside the keyspace, no key values). */
  'event.skipped': { readonly event: ChangeEvent; readonly reason: string };
  /** An event failed for good (planning error, non-retriable Redis error): dead-letter it. */
  'event.failed': { readonly event: ChangeEvent; readonly error: Error };
  /** An image lacked the columns of an entity's key (e.g. a PostgreSQL delete without REPLICA IDENTITY FULL). */
  'event.incomplete-image': { readonly event: ChangeEvent; readonly entities: readonly string[] };
  /** A Redis call failed with a retriable error and will be retried after `delayMs`. */
  'redis.retry': { readonly attempt: number; readonly delayMs: number; readonly error: unknown };
  /** Retries ran out: the batch throws a retriable CDC_REDIS_UNAVAILABLE error. */
  'redis.unavailable': { readonly error: Error };
  /** Redis's maxmemory-policy, read once before the first batch (see checkEvictionPolicy). */
  'redis.eviction-policy': {
    readonly policies: readonly string[];
    readonly safe: boolean;
    readonly message: string;
  };
}

/** An instrumentation event name. */
export type InstrumentationEventName = keyof InstrumentationEvents;

/** A listener of one event. */
export type InstrumentationListener<Name extends InstrumentationEventName> = (
  payload: InstrumentationEvents[Name],
) => void;

/** Typed instrumentation: named events with typed payloads. Emitting costs nothing when nobody listens. */
export interface Instrumentation {
  /** Listen to an event; returns a function that removes the listener. */
  on<Name extends InstrumentationEventName>(name: Name, listener: InstrumentationListener<Name>): () => void;
  /** True when `name` has a listener; emitters check it before building a payload. */
  has(name: InstrumentationEventName): boolean;
  /** Call every listener of `name`. A throwing listener is isolated: it never breaks the engine. */
  emit<Name extends InstrumentationEventName>(name: Name, payload: InstrumentationEvents[Name]): void;
}

/**
 * Create an instrumentation hub. Pass it to `createInvalidationEngine({ instrumentation })`, then build
 * metrics (`createMetricsRegistry`) and logs (`attachLogger`) on it, or listen yourself.
 *
 * @example
 * const instrumentation = createInstrumentation()
 * instrumentation.on('event.failed', ({ event, error }) => deadLetter(event, error))
 */
export function createInstrumentation(): Instrumentation {
  const listeners = new Map<InstrumentationEventName, Set<(payload: never) => void>>();
  return {
    on(name, listener) {
      let set = listeners.get(name);
      if (!set) {
        set = new Set();
        listeners.set(name, set);
      }
      set.add(listener as (payload: never) => void);
      return () => {
        set.delete(listener as (payload: never) => void);
        if (set.size === 0) listeners.delete(name);
      };
    },
    has(name) {
      return listeners.has(name);
    },
    emit(name, payload) {
      const set = listeners.get(name);
      if (!set) return;
      for (const listener of set) {
        try {
          (listener as (payload: unknown) => void)(payload);
        } catch {
          // Instrumentation must never change what the engine does.
        }
      }
    },
  };
}
