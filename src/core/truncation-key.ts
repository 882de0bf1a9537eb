import { generationKey, RESERVED_KEY_SEGMENT } from '../keyspace';

/**
 * The key holding the newest version at which an entity's table was truncated. Its hash tag is the
 * generation key, so on Redis Cluster both live in one slot: one script raises it, remembers the truncate in
 * the generation memory and bumps the generation, and one MGET reads the generation and it consistently.
 *
 * @example
 * truncationKey('shop:', 'user') // 'shop:_cc:truncated:{shop:_cc:gen:user}'
 */
export function truncationKey(prefix: string, entity: string): string {
  return `${prefix}${RESERVED_KEY_SEGMENT}truncated:{${generationKey(prefix, entity)}}`;
}
