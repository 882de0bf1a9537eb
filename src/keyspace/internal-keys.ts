import { randomInt } from 'node:crypto';
import { encodeKeyValue } from './encode-key-value';

/** Entity keys may not start with this: cdc-cache keeps its own keys (generations, tags, checkpoints) under it. */
export const RESERVED_KEY_SEGMENT = '_cc:';

/**
 * The generation of an entity: a random number (see {@link newGeneration}). A truncate or bulk change
 * replaces it, and every value filled under another generation reads as a miss: a whole namespace is
 * invalidated without KEYS or SCAN. A missing key is never "generation 0": whoever needs one creates a new
 * random one (SET NX), so losing the key invalidates the entity instead of resurrecting older entries.
 *
 * @example
 * generationKey('shop:', 'user') // 'shop:_cc:gen:user'
 */
export function generationKey(prefix: string, entity: string): string {
  return `${prefix}${RESERVED_KEY_SEGMENT}gen:${entity}`;
}

/**
 * The version memory of an entry key: the version and time of the last change the worker applied to it, kept
 * for a bounded window beyond the entry's own life (see src/redis/entry-format.ts). Its hash tag is the
 * entry key, so on Redis Cluster both live in one slot and one script holds both.
 *
 * @example
 * versionKey('shop:', 'shop:user:42') // 'shop:_cc:ver:{shop:user:42}'
 */
export function versionKey(prefix: string, entryKey: string): string {
  // The head is made once per prefix: a worker has one prefix, and every key of a batch costs two strings
  // to join instead of four.
  if (prefix !== lastVersionPrefix) {
    lastVersionPrefix = prefix;
    lastVersionHead = `${prefix}${RESERVED_KEY_SEGMENT}ver:{`;
  }
  return lastVersionHead + entryKey + '}';
}

let lastVersionPrefix = '';
let lastVersionHead = `${RESERVED_KEY_SEGMENT}ver:{`;

/**
 * The version memory of an entity's generation: what the last generation bump (a truncate of one of its
 * tables) was, in the format of every version memory (`<version>|<appliedAtMs>|<xid>`) and for the same window.
 * A truncate changes every key of the entity at once, so the SDK merges it into the lease of each key it fills
 * (a fill read from a replica that has not replayed the truncate is not cached). Its hash tag is the generation
 * key: on Redis Cluster both live in one slot, and the worker writes it in the same script as the bump.
 *
 * @example
 * generationMemoryKey('shop:', 'user') // 'shop:_cc:ver:{shop:_cc:gen:user}'
 */
export function generationMemoryKey(prefix: string, entity: string): string {
  return versionKey(prefix, generationKey(prefix, entity));
}

/**
 * The set that lists the entry keys filled under one rendered tag (e.g. `tenant:7`).
 *
 * @example
 * tagKey('', 'tenant:7') // '_cc:tag:tenant:7'
 */
export function tagKey(prefix: string, renderedTag: string): string {
  return `${prefix}${RESERVED_KEY_SEGMENT}tag:${renderedTag}`;
}

/**
 * How long a tag set must live so that it outlives every entry listed in it: the longest value lifetime
 * (TTL with its jitter, plus grace), plus `extraMs` (the SDK lists a key before loading: its lease ttl).
 *
 * @example
 * tagSetTtlMs({ ttlMs: 1000, ttlJitter: 0.1, graceMs: 0 }) // 1100
 */
export function tagSetTtlMs(
  entity: { readonly ttlMs: number; readonly ttlJitter: number; readonly graceMs: number },
  extraMs = 0,
): number {
  return Math.ceil(entity.ttlMs * (1 + entity.ttlJitter)) + entity.graceMs + extraMs;
}

/**
 * A key for cdc-cache's own state (checkpoints, leases of shards), with each part key-encoded.
 *
 * @example
 * internalKey('', 'ckpt', 'Products', 'shardId-0001') // '_cc:ckpt:Products:shardId-0001'
 */
export function internalKey(prefix: string, ...parts: string[]): string {
  return `${prefix}${RESERVED_KEY_SEGMENT}${parts.map((part) => encodeKeyValue(part) ?? '').join(':')}`;
}

/**
 * True when `key` lies in cdc-cache's internal namespace under `prefix`. No entry key a template renders
 * ever does, whatever its values (see compile-key-renderer.ts).
 *
 * @example
 * isInternalKey('shop:', 'shop:_cc:gen:user') // true
 */
export function isInternalKey(prefix: string, key: string): boolean {
  return key.startsWith(prefix + RESERVED_KEY_SEGMENT);
}

/**
 * A fresh random generation: a positive integer below 2^46, so that it stays exact in Lua's doubles and
 * Lua prints it back in full (its number-to-text keeps 14 significant digits).
 *
 * @example
 * redis.set(generationKey('', 'user'), newGeneration())
 */
export function newGeneration(): string {
  return String(randomInt(1, 2 ** 46));
}
