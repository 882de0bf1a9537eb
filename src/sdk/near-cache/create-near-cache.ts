import type { InvalidationListener, InvalidationStream } from './invalidation-stream';
import { createLruStore, type EvictionReason } from './lru-store';

/** A value served from memory. */
interface NearEntry {
  /** The value, deep-frozen; unused when `payload` is set. */
  readonly value: unknown;
  /** Set when the value could not be frozen (a Date inside): deserialized again on every hit. */
  readonly payload: string | undefined;
  /** The entity generation the value was read under. */
  readonly generation: number;
  /** Served until then: the smaller of the near cache's own ttl and the entry's soft expiry in Redis. */
  readonly expiresAtMs: number;
}

/**
 * A read in flight that may fill the near cache. Taken BEFORE the Redis read is sent; an invalidation of
 * either key that arrives before the reply is handled spoils it, and so does any gap in the stream.
 */
export interface NearTicket {
  readonly key: string;
  readonly generationKey: string;
  readonly epoch: number;
  spoiled: boolean;
}

/** What a fill stores. */
export interface NearFill {
  /** The entity generation read together with the entry. */
  readonly generation: number;
  /** The decoded value (`null` for a cached not-found). */
  readonly value: unknown;
  /** True when `value` is deep-frozen; otherwise `payload` is kept and decoded on each hit. */
  readonly frozen: boolean;
  /** The serialized payload as read from Redis ('' for a not-found). */
  readonly payload: string;
  /** The entry's soft expiry in Redis. */
  readonly staleAtMs: number;
}

/** Counters since the near cache was created. */
export interface NearCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  invalidations: number;
  clears: number;
  entries: number;
  bytes: number;
  up: boolean;
}

/** What the near cache reports to its cache's events. */
export interface NearCacheObserver {
  eviction(key: string, reason: EvictionReason): void;
  invalidation(keys: readonly string[] | null): void;
  clear(reason: string): void;
  error(operation: string, error: unknown): void;
}

/** The in-process level in front of Redis. */
export interface NearCache {
  /** The value for `key` when held, fresh and of the entity's current generation; `MISS` otherwise. */
  lookup(key: string, generationKey: string, nowMs: number): unknown;
  /** Take a ticket before reading `key` (and its generation key) from Redis; undefined while the stream is down. */
  ticket(key: string, generationKey: string): NearTicket | undefined;
  /** Store what a ticketed read returned, unless the ticket was spoiled meanwhile. Always call it, or `release`. */
  fill(ticket: NearTicket, fill: NearFill, nowMs: number): void;
  /** Give a ticket back without filling (the read failed or found nothing fresh). */
  release(ticket: NearTicket): void;
  /** Counters. */
  stats(): NearCacheStats;
  /** Resolves once every invalidation for writes acknowledged before the call has been applied. */
  sync(): Promise<void>;
  /** The invalidation stream's server-side client ids (for `CLIENT KILL` in tests). */
  clientIds(): Promise<number[]>;
  close(): Promise<void>;
}

/** What {@link NearCache.lookup} returns when it holds nothing to serve. */
export const MISS: unique symbol = Symbol('near-cache-miss');

const ENTRY_OVERHEAD_BYTES = 96;

/**
 * The near cache: an LRU of decoded values kept coherent by an {@link InvalidationStream}. Coherence rests on
 * three rules (docs/near-cache.md): a value is stored only from a Redis read whose ticket was taken before
 * the read was sent and was not spoiled by an invalidation of its key or generation key by the time the reply
 * is handled; whenever the stream may have missed a message everything is dropped and nothing is stored
 * until it is complete again (tickets of the old epoch are refused); and every entry has its own short ttl.
 *
 * @example
 * const near = createNearCache({ maxEntries: 10_000, maxBytes: Infinity, ttlMs: 10_000, deserialize, stream, observer })
 */
export function createNearCache(options: {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly deserialize: (payload: string) => unknown;
  readonly stream: InvalidationStream;
  readonly observer: NearCacheObserver;
}): NearCache {
  const { observer, stream } = options;
  const counts = { hits: 0, misses: 0, evictions: 0, invalidations: 0, clears: 0 };
  const store = createLruStore<NearEntry>({
    maxEntries: options.maxEntries,
    maxBytes: options.maxBytes,
    onEvict: (key, reason) => {
      counts.evictions += 1;
      observer.eviction(key, reason);
    },
  });
  /** The current generation of each entity, as last read with a ticket no invalidation spoiled. */
  const generations = new Map<string, number>();
  /** Tickets in flight, by each key they read. */
  const tickets = new Map<string, Set<NearTicket>>();
  let up = false;
  let epoch = 0;
  let closing = false;

  const spoil = (key: string) => {
    const waiting = tickets.get(key);
    if (waiting) for (const ticket of waiting) ticket.spoiled = true;
  };
  const unregister = (ticket: NearTicket) => {
    for (const key of [ticket.key, ticket.generationKey]) {
      const waiting = tickets.get(key);
      if (!waiting) continue;
      waiting.delete(ticket);
      if (waiting.size === 0) tickets.delete(key);
    }
  };
  const clearAll = () => {
    store.clear();
    generations.clear();
    for (const waiting of tickets.values()) for (const ticket of waiting) ticket.spoiled = true;
  };

  const listener: InvalidationListener = {
    invalidated(keys) {
      counts.invalidations += 1;
      if (keys === null) clearAll();
      else {
        for (const key of keys) {
          store.delete(key);
          generations.delete(key);
          spoil(key);
        }
      }
      observer.invalidation(keys);
    },
    up() {
      epoch += 1;
      up = true;
    },
    down(reason) {
      // Anything may have changed unseen: nothing held, nothing in flight, is trusted any more.
      epoch += 1;
      up = false;
      clearAll();
      if (closing) return; // our own close is not a gap worth counting
      counts.clears += 1;
      observer.clear(reason);
    },
    error: (operation, error) => observer.error(operation, error),
  };
  stream.start(listener);

  return {
    lookup(key, generationKey, nowMs) {
      const entry = up ? store.get(key) : undefined;
      if (entry === undefined || generations.get(generationKey) !== entry.generation) {
        counts.misses += 1;
        return MISS;
      }
      if (nowMs >= entry.expiresAtMs) {
        store.expire(key);
        counts.misses += 1;
        return MISS;
      }
      counts.hits += 1;
      return entry.payload === undefined ? entry.value : options.deserialize(entry.payload);
    },
    ticket(key, generationKey) {
      if (!up) return undefined;
      const ticket: NearTicket = { key, generationKey, epoch, spoiled: false };
      for (const watched of [key, generationKey]) {
        let waiting = tickets.get(watched);
        if (!waiting) {
          waiting = new Set();
          tickets.set(watched, waiting);
        }
        waiting.add(ticket);
      }
      return ticket;
    },
    fill(ticket, fill, nowMs) {
      unregister(ticket);
      if (ticket.spoiled || !up || ticket.epoch !== epoch) return;
      const expiresAtMs = Math.min(nowMs + options.ttlMs, fill.staleAtMs);
      if (expiresAtMs <= nowMs) return;
      generations.set(ticket.generationKey, fill.generation);
      const bytes = ENTRY_OVERHEAD_BYTES + 2 * (ticket.key.length + fill.payload.length);
      store.set(
        ticket.key,
        {
          value: fill.frozen ? fill.value : undefined,
          payload: fill.frozen ? undefined : fill.payload,
          generation: fill.generation,
          expiresAtMs,
        },
        bytes,
      );
    },
    release: unregister,
    stats: () => ({ ...counts, entries: store.size, bytes: store.bytes, up }),
    sync: () => stream.sync(),
    clientIds: () => stream.clientIds(),
    async close() {
      closing = true;
      await stream.close();
      clearAll();
    },
  };
}
