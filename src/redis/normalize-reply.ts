import type { RedisReply } from './redis-port';

/**
 * Bring a reply of any client and protocol into the RESP2 shape of {@link RedisReply}: RESP3 maps (plain
 * objects, `Map`s, GLIDE's `{ key, value }` records) become flat arrays, sets arrays, booleans 1 and 0 (as
 * the server sends them to a RESP2 client), doubles that are not whole numbers strings, Buffers UTF-8 strings. An
 * `Error` inside a reply (a failed command of a transaction) is kept as it is.
 *
 * @example
 * normalizeReply({ owner: 'w1', seq: '42' }) // ['owner', 'w1', 'seq', '42']
 */
export function normalizeReply(reply: unknown): RedisReply {
  if (reply === null || reply === undefined) return null;
  switch (typeof reply) {
    case 'string':
      return reply;
    case 'number':
      return Number.isInteger(reply) ? reply : String(reply);
    case 'bigint':
      return Number.isSafeInteger(Number(reply)) ? Number(reply) : String(reply);
    case 'boolean':
      // As the server itself sends a RESP3 boolean to a RESP2 client.
      return reply ? 1 : 0;
    default:
      break;
  }
  if (Buffer.isBuffer(reply)) return reply.toString('utf8');
  if (reply instanceof Error) return reply as unknown as RedisReply;
  if (Array.isArray(reply)) {
    if (reply.length > 0 && reply.every(isGlideRecordEntry)) {
      return reply.flatMap((entry) => [normalizeReply(entry.key), normalizeReply(entry.value)]);
    }
    return reply.map(normalizeReply);
  }
  if (reply instanceof Set) return [...reply].map(normalizeReply);
  if (reply instanceof Map)
    return [...reply].flatMap(([key, value]) => [normalizeReply(key), normalizeReply(value)]);
  if (typeof reply === 'object') {
    return Object.entries(reply).flatMap(([key, value]) => [key, normalizeReply(value)]);
  }
  return String(reply);
}

/** GLIDE returns RESP3 maps as arrays of `{ key, value }`. */
function isGlideRecordEntry(entry: unknown): entry is { key: unknown; value: unknown } {
  return (
    typeof entry === 'object' &&
    entry !== null &&
    !Array.isArray(entry) &&
    Object.keys(entry).length === 2 &&
    'key' in entry &&
    'value' in entry
  );
}
