import type { ChainableCommander } from 'ioredis';
import { generationKey, RESERVED_KEY_SEGMENT } from '../keyspace';
import type { RedisClient } from '../redis/create-redis-client';
import { registerScripts, scriptCommand } from '../redis/register-scripts';

const SCRIPTS = {
  refreshEntry: 'refresh-entry-2.lua',
  writeTombstones: 'write-tombstones-n.lua',
  invalidateTag: 'invalidate-tag-1.lua',
  bumpGeneration: 'bump-generation-3.lua',
  addTagMember: 'add-tag-member-1.lua',
  ensureGeneration: 'ensure-generation-1.lua',
} as const;

/** The command names the worker's scripts are registered under (see {@link registerWorkerScripts}). */
export const WORKER_COMMANDS = Object.freeze({
  refresh: scriptCommand('refreshEntry'),
  tombstones: scriptCommand('writeTombstones'),
  invalidateTag: scriptCommand('invalidateTag'),
  bumpGeneration: scriptCommand('bumpGeneration'),
  addTagMember: scriptCommand('addTagMember'),
  ensureGeneration: scriptCommand('ensureGeneration'),
});

/** A pipeline whose registered script commands are called by name. */
export type Commander = ChainableCommander &
  Record<string, (...args: (string | number)[]) => ChainableCommander>;

/**
 * Register the worker's Lua scripts on a client (idempotent).
 *
 * @example
 * registerWorkerScripts(redis).pipeline()
 */
export function registerWorkerScripts<C extends RedisClient>(client: C): C {
  return registerScripts(client, SCRIPTS);
}

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
