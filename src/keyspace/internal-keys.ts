import { encodeKeyValue } from './encode-key-value';

/** Entity keys may not start with this: cdc-cache keeps its own keys (generations, tags, checkpoints) under it. */
export const RESERVED_KEY_SEGMENT = '_cc:';

/**
 * The generation counter of an entity. A truncate or bulk change bumps it (INCR), and every value filled
 * under an older generation reads as a miss: a whole namespace is invalidated without KEYS or SCAN.
 *
 * @example
 * generationKey('shop:', 'user') // 'shop:_cc:gen:user'
 */
export function generationKey(prefix: string, entity: string): string {
  return `${prefix}${RESERVED_KEY_SEGMENT}gen:${entity}`;
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
