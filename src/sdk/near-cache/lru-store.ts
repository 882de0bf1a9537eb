/** Why an entry left the store other than by an invalidation. */
export type EvictionReason = 'capacity' | 'expired';

/** A bounded map in least-recently-used order. */
export interface LruStore<Entry> {
  /** The entry, marked most recently used; `undefined` when absent. */
  get(key: string): Entry | undefined;
  /**
   * Insert or replace, then evict least recently used entries past the bounds. An entry larger than
   * `maxBytes` is not stored (its previous value is dropped, counted as a `capacity` eviction).
   */
  set(key: string, entry: Entry, bytes: number): void;
  /** Remove one entry; true when it was there. */
  delete(key: string): boolean;
  /** Remove an entry that outlived its time (counted as an `expired` eviction). */
  expire(key: string): void;
  /** Remove everything. */
  clear(): void;
  /** Entries held. */
  readonly size: number;
  /** Estimated bytes held. */
  readonly bytes: number;
}

interface Slot<Entry> {
  readonly entry: Entry;
  readonly bytes: number;
  /** The move counter when the slot last went to the recent end. */
  moved: number;
}

/**
 * An LRU over a `Map` (its insertion order is the recency order), bounded by entries and by estimated bytes.
 * A hit moves its key to the recent end only once it has drifted into the older half (more than half the
 * store moved past it since): a hot key then costs one lookup, not a delete and an insert, and the order
 * stays LRU to within half the store. `onEvict` hears every entry dropped for capacity or age.
 *
 * @example
 * const store = createLruStore<string>({ maxEntries: 2, maxBytes: Infinity, onEvict: () => {} })
 * store.set('a', 'A', 1); store.set('b', 'B', 1); store.get('a'); store.set('c', 'C', 1) // evicts 'b'
 */
export function createLruStore<Entry>(options: {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly onEvict: (key: string, reason: EvictionReason) => void;
}): LruStore<Entry> {
  const slots = new Map<string, Slot<Entry>>();
  let bytes = 0;
  let moves = 0;
  const remove = (key: string): boolean => {
    const slot = slots.get(key);
    if (!slot) return false;
    slots.delete(key);
    bytes -= slot.bytes;
    return true;
  };
  return {
    get(key) {
      const slot = slots.get(key);
      if (!slot) return undefined;
      if (moves - slot.moved > slots.size >> 1) {
        slots.delete(key);
        slots.set(key, slot);
        slot.moved = ++moves;
      }
      return slot.entry;
    },
    set(key, entry, entryBytes) {
      remove(key);
      if (entryBytes > options.maxBytes) {
        // Refused before evicting anything: one entry that cannot fit must not empty the whole store.
        options.onEvict(key, 'capacity');
        return;
      }
      slots.set(key, { entry, bytes: entryBytes, moved: ++moves });
      bytes += entryBytes;
      while (slots.size > options.maxEntries || (bytes > options.maxBytes && slots.size > 0)) {
        const oldest = slots.keys().next().value as string;
        remove(oldest);
        options.onEvict(oldest, 'capacity');
      }
    },
    delete: remove,
    expire(key) {
      if (remove(key)) options.onEvict(key, 'expired');
    },
    clear() {
      slots.clear();
      bytes = 0;
    },
    get size() {
      return slots.size;
    },
    get bytes() {
      return bytes;
    },
  };
}
