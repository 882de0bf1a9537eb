import type { EntitySpec } from '../../keyspace';
import type { Serializer } from '../../redis/serializer';
import type { CacheEvents } from '../cache-events';
import {
  createNearCache,
  MISS,
  type NearCache,
  type NearCacheStats,
  type NearTicket,
} from './create-near-cache';
import { freezePlainValue } from './freeze-plain-value';
import type { OpenInvalidationStream } from './invalidation-stream-of';
import type { NearCacheSettings } from './near-cache-options';
import { trackedPrefixes } from './tracked-prefixes';

/** What a cache exposes of its near cache. */
export interface NearCacheHandle {
  /** Counters: hits, misses, evictions, invalidations, clears, entries, bytes, and whether it is serving. */
  stats(): NearCacheStats;
  /**
   * Resolves once every invalidation for writes Redis acknowledged before the call has been applied; at once
   * while the stream is down (nothing is held then). Rejects with `CDC_REDIS_UNAVAILABLE` if Redis fails otherwise.
   */
  sync(): Promise<void>;
  /** The server-side client ids of the invalidation connections. */
  clientIds(): Promise<number[]>;
}

/** The near cache as `get`/`getMany` use it. */
export interface NearReads extends NearCacheHandle {
  /** Whether this entity is near-cached. */
  uses(entity: string): boolean;
  /** The held value, or {@link MISS}; emits `near-hit`/`near-miss`. */
  lookup(entity: string, key: string, generationKey: string): unknown;
  ticket(key: string, generationKey: string): NearTicket | undefined;
  /** Freeze (when plain data) and store a fresh value read with `ticket`; returns the value to serve. */
  fill(
    ticket: NearTicket | undefined,
    read: { generation: number; value: unknown; payload: string; staleAtMs: number },
  ): unknown;
  release(ticket: NearTicket | undefined): void;
  close(): Promise<void>;
}

export { MISS };

/**
 * Build the near cache of a cache from its options: which entities use it, the prefixes Redis must report,
 * the invalidation stream of its client, and the events it emits.
 *
 * @example
 * const near = attachNearCache({ openStream: invalidationStreamOf(client), settings, entities, prefix, serializer, events })
 */
export function attachNearCache(options: {
  /** Opens the invalidation stream of the cache's client (`invalidationStreamOf`). */
  readonly openStream: OpenInvalidationStream;
  readonly settings: NearCacheSettings;
  readonly entities: readonly EntitySpec[];
  readonly prefix: string;
  readonly serializer: Serializer;
  readonly events: CacheEvents;
  /** The cache's clock, in ms. */
  readonly now: () => number;
  /** Reports a failure the near cache handles itself (it retries; meanwhile reads go to Redis). */
  readonly report: (operation: string, error: unknown) => void;
}): NearReads | undefined {
  const { settings, events } = options;
  const chosen = options.entities.filter((entity) =>
    settings.entities === 'all' ? entity.nearCache !== false : entity.nearCache === true,
  );
  if (chosen.length === 0) return undefined;
  const names = new Set(chosen.map((entity) => entity.name));
  const stream = options.openStream({
    prefixes: trackedPrefixes(options.prefix, chosen),
    heartbeatMs: settings.heartbeatMs,
    name: 'cdc-cache-near',
  });
  const near: NearCache = createNearCache({
    maxEntries: settings.maxEntries,
    maxBytes: settings.maxBytes,
    ttlMs: settings.ttlMs,
    deserialize: (payload) => (payload === '' ? null : options.serializer.deserialize(payload)),
    stream,
    observer: {
      eviction: (key, reason) => events.has('near-eviction') && events.emit('near-eviction', { key, reason }),
      invalidation: (keys) => events.has('near-invalidation') && events.emit('near-invalidation', { keys }),
      clear: (reason) => events.has('near-clear') && events.emit('near-clear', { reason }),
      error: options.report,
    },
  });
  return {
    uses: (entity) => names.has(entity),
    lookup(entity, key, generationKey) {
      const held = near.lookup(key, generationKey, options.now());
      if (held === MISS) {
        if (events.has('near-miss')) events.emit('near-miss', { entity, key });
      } else if (events.has('near-hit')) events.emit('near-hit', { entity, key });
      return held;
    },
    ticket: (key, generationKey) => near.ticket(key, generationKey),
    fill(ticket, read) {
      // Values of a near-cached entity are frozen whether or not this read fills: the same value behaves the
      // same way on every read. One holding a Date (or anything freezing cannot protect) stays mutable and is
      // held as its payload, decoded again on every hit.
      const frozen = freezePlainValue(read.value);
      if (ticket) near.fill(ticket, { ...read, frozen }, options.now());
      return read.value;
    },
    release(ticket) {
      if (ticket) near.release(ticket);
    },
    stats: () => near.stats(),
    sync: () => near.sync(),
    clientIds: () => near.clientIds(),
    close: () => near.close(),
  };
}
