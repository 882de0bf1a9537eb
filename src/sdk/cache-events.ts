import type { CdcCacheError } from '../errors';
import type { FillRefusal } from './read-position-check';

/** Why a read was served without Redis. */
export type BypassReason = 'breaker-open' | 'redis-error';

/** Every event a cache emits, with its payload. */
export interface CacheEventMap {
  /** A fresh value (or a cached not-found) was served from Redis. */
  hit: { readonly entity: string; readonly key: string };
  /** Nothing usable was cached; the caller goes on to load (or wait for another's load). */
  miss: { readonly entity: string; readonly key: string };
  /** A value past its TTL but within grace was served while it is refreshed. */
  stale: { readonly entity: string; readonly key: string; readonly ageMs: number };
  /** A reader waited for another process's fill: it got the value, took the lease over, or gave up and loaded uncached. */
  'lease-wait': {
    readonly entity: string;
    readonly key: string;
    readonly waitedMs: number;
    readonly outcome: 'hit' | 'lease' | 'timeout';
  };
  /** The loader ran. `cached` is false when the fill was cancelled by an invalidation or Redis was unavailable. */
  load: {
    readonly entity: string;
    readonly key: string;
    readonly durationMs: number;
    readonly found: boolean;
    readonly cached: boolean;
    readonly failed: boolean;
  };
  /**
   * A loaded value was served but not cached: its read was older than the last change the worker applied to
   * the key (`behind`: its `readPosition` was below `floor`), or it had no position to compare and came
   * within the entity's `maxReplicaLag` after a change (`replica-lag`). `fresh` tells whether the
   * `freshLoader` then read it again (and that result was cached).
   */
  'fill-refused': {
    readonly entity: string;
    readonly key: string;
    /** See `fillRefusal`: `invisible` (a PostgreSQL snapshot without the key's last transaction), `behind`, `replica-lag`. */
    readonly reason: FillRefusal;
    /** The loader's reported position as a version, or the PostgreSQL snapshot's text ('' when none). */
    readonly position: string;
    /** The newest version the key had reached ('' when none). */
    readonly floor: string;
    readonly fresh: boolean;
  };
  /** A read went straight to the loader because Redis is unavailable (fail-open). */
  bypass: { readonly entity: string; readonly key: string; readonly reason: BypassReason };
  /** Something went wrong that the cache handled (a Redis error, a timeout, a value that cannot be serialized). */
  error: {
    readonly operation: string;
    readonly error: CdcCacheError;
    readonly entity?: string;
    readonly key?: string;
  };
  /**
   * A sampled hit was verified (the `verify` option): `match`; `mismatch` (Redis still held the served value
   * a staleness window after the source was seen to differ; `ageMs` since that entry was written);
   * `changed` (the source changed and the entry was invalidated in time); `failed` (the loader or Redis
   * failed); `dropped` (too many verifications pending).
   */
  verify: {
    readonly entity: string;
    readonly key: string;
    readonly outcome: 'match' | 'mismatch' | 'changed' | 'failed' | 'dropped';
    readonly ageMs?: number;
  };
  /** A near-cached read was served from memory (no Redis call). */
  'near-hit': { readonly entity: string; readonly key: string };
  /** A near-cached read found nothing usable in memory and went on to Redis. */
  'near-miss': { readonly entity: string; readonly key: string };
  /** The near cache dropped an entry for room (`capacity`) or age (`expired`, its own ttl or the entry's). */
  'near-eviction': { readonly key: string; readonly reason: 'capacity' | 'expired' };
  /** Redis reported these keys changed (`null`: everything, a FLUSH); the near cache dropped them. */
  'near-invalidation': { readonly keys: readonly string[] | null };
  /** The invalidation stream had a possible gap (`reason`: connection-closed, heartbeat, topology-changed): the near cache was emptied and serves again once the stream is whole. */
  'near-clear': { readonly reason: string };
  /** The circuit breaker changed state. */
  breaker: { readonly state: 'open' | 'half-open' | 'closed' };
}

/** A cache event name. */
export type CacheEventName = keyof CacheEventMap;

type Listener<Name extends CacheEventName> = (payload: CacheEventMap[Name]) => void;

/**
 * Typed events of a cache. Emitting checks for listeners first, so an event nobody listens to costs one
 * property read and builds no payload.
 *
 * @example
 * cache.events.on('miss', ({ entity, key }) => logger.debug({ entity, key }, 'cache miss'))
 */
export class CacheEvents {
  private readonly listeners: { [Name in CacheEventName]?: Listener<Name>[] } = {};

  /** Add a listener; returns a function that removes it. */
  on<Name extends CacheEventName>(name: Name, listener: Listener<Name>): () => void {
    const list = (this.listeners[name] ?? []) as Listener<Name>[];
    this.listeners[name] = [...list, listener] as never;
    return () => this.off(name, listener);
  }

  /** Remove a listener. */
  off<Name extends CacheEventName>(name: Name, listener: Listener<Name>): void {
    const list = (this.listeners[name] ?? []) as Listener<Name>[];
    const remaining = list.filter((candidate) => candidate !== listener);
    this.listeners[name] = (remaining.length > 0 ? remaining : undefined) as never;
  }

  /** True when someone listens to `name`: check it before building a payload. */
  has(name: CacheEventName): boolean {
    return this.listeners[name] !== undefined;
  }

  /** Call every listener; a listener that throws never breaks a read. */
  emit<Name extends CacheEventName>(name: Name, payload: CacheEventMap[Name]): void {
    const list = this.listeners[name] as Listener<Name>[] | undefined;
    if (!list) return;
    for (const listener of list) {
      try {
        listener(payload);
      } catch {
        // Instrumentation must not change what the cache serves.
      }
    }
  }
}
