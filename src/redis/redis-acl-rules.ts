import { RESERVED_KEY_SEGMENT } from '../keyspace/internal-keys';

/** Who connects: the read services (through the SDK) or the worker. */
export type RedisRole = 'reader' | 'worker';

/**
 * The Redis ACL rules (Redis 7 / Valkey syntax, as `ACL SETUSER` and ElastiCache access strings take them)
 * of a cdc-cache role, keys scoped to the key prefix:
 *
 * - `worker`: every key under the prefix: entries, and its own keys under `_cc:` (generations, tag sets,
 *   truncate markers, shard checkpoints and leases, dead letters).
 * - `reader`: entries (every key under the prefix that is not under `<prefix>_cc:`), the tag sets the SDK
 *   maintains and pops (`_cc:tag:*`, read and write), the generations (`_cc:gen:*`, read and write: the SDK
 *   creates a lost one with a new random value, SET NX) and the version memories (`_cc:ver:*`: the lease script
 *   reads them, and Redis grants a script's declared keys only with read and write access; each lease also
 *   GETs its entity's generation memory, `_cc:ver:{<generation key>}`, the last truncate). It cannot write
 *   a truncation marker, touch the worker's checkpoints and leases, or read dead letters (they hold row data). A reader that overwrites a generation empties that entity's
 *   cache (no entry matches a new random generation). ACL globs cannot exclude a prefix, so "not `_cc:`" is spelled as the keys whose first four
 *   characters differ from it.
 *
 * Both get every command but the dangerous ones (FLUSHALL, KEYS, CONFIG, DEBUG, ...), with INFO back
 * (ioredis's ready check sends it). The worker gets no Pub/Sub channel (a new user has none); the reader gets
 * the one Redis publishes tracking invalidations on, which its near cache subscribes to (docs/near-cache.md).
 *
 * @example
 * redisAclRules('worker', 'shop:') // ['on', '%RW~shop:*', '+@all', '-@dangerous', '+info']
 */
export function redisAclRules(role: RedisRole, keyPrefix: string): string[] {
  if (/\s/.test(keyPrefix))
    throw new Error(`key prefix '${keyPrefix}' contains whitespace: no ACL key pattern can match it`);
  const prefix = keyPrefix.replace(/[*?[\]\\]/g, (char) => `\\${char}`);
  const commands = ['+@all', '-@dangerous', '+info'];
  if (role === 'worker') return ['on', `%RW~${prefix}*`, ...commands];
  const reserved = RESERVED_KEY_SEGMENT; // '_cc:'
  const entries: string[] = [];
  for (let length = 0; length < reserved.length; length++) {
    const same = reserved.slice(0, length);
    // Keys that match the reserved segment up to `length` characters and then differ (or end there).
    entries.push(`%RW~${prefix}${same}[^${reserved[length]}]*`);
    if (length > 0) entries.push(`%RW~${prefix}${same}`);
  }
  if (prefix !== '') entries.push(`%RW~${prefix}`);
  return [
    'on',
    ...entries,
    `%RW~${prefix}${reserved}tag:*`,
    // The lease script reads a key's version memory (keys a script declares need read AND write access), and
    // the SDK creates a missing generation (a random one, SET NX).
    `%RW~${prefix}${reserved}gen:*`,
    `%RW~${prefix}${reserved}ver:*`,
    '&__redis__:invalidate',
    ...commands,
  ];
}
