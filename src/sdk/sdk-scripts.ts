import type { RedisClient } from '../redis/create-redis-client';
import { registerScripts, scriptCommand } from '../redis/register-scripts';

/** The raw reply of take-lease-2.lua (see its contract header). */
export type TakeLeaseReply = [
  outcome: 'lease' | 'fresh' | 'refresh' | 'stale' | 'wait',
  data: string | number,
  third?: string | number,
  fourth?: string | number,
  fifth?: string | number,
  sixth?: number,
];

/** The SDK's Lua scripts, typed: one function per script, arguments as its contract header lists them. */
export interface SdkScripts {
  takeLease(
    key: string,
    versionKey: string,
    token: string,
    leaseTtlMs: number,
    generation: number,
    nowMs: number,
    refreshToken: string,
    creatingGeneration: boolean,
  ): Promise<TakeLeaseReply>;
  /** The entity's current generation, `candidate` if it had none. */
  ensureGeneration(generationKey: string, candidate: string): Promise<unknown>;
  /** 1 written, 0 the fill was cancelled. */
  fill(key: string, token: string, entry: string, ttlMs: number): Promise<unknown>;
  releaseLease(key: string, token: string): Promise<unknown>;
  addTagMember(tagSetKey: string, key: string, minTtlMs: number): Promise<unknown>;
  /** Standalone only: pops up to `batch` members and deletes their entries; resolves how many. */
  invalidateTag(tagSetKey: string, batch: number): Promise<unknown>;
}

const FILES = {
  takeLease: 'take-lease-2.lua',
  ensureGeneration: 'ensure-generation-1.lua',
  fill: 'fill-1.lua',
  releaseLease: 'release-lease-1.lua',
  addTagMember: 'add-tag-member-1.lua',
  // The worker's own script (standalone only): pop tag members and delete their entries atomically.
  invalidateTag: 'invalidate-tag-1.lua',
} as const;

type ScriptCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Register the SDK's scripts on a client (once per client) and return typed calls to them.
 *
 * @example
 * const scripts = sdkScripts(client)
 * await scripts.releaseLease(key, token)
 */
export function sdkScripts(client: RedisClient): SdkScripts {
  registerScripts(client, FILES);
  const commands = client as unknown as Record<string, ScriptCommand>;
  const command = (name: keyof typeof FILES): ScriptCommand => {
    const registered = scriptCommand(name);
    return (...args) => commands[registered]!(...args);
  };
  const takeLease = command('takeLease');
  const ensureGeneration = command('ensureGeneration');
  const fill = command('fill');
  const releaseLease = command('releaseLease');
  const addTagMember = command('addTagMember');
  const invalidateTag = command('invalidateTag');
  return {
    takeLease: (key, versionKey, token, leaseTtlMs, generation, nowMs, refreshToken, creating) =>
      takeLease(
        key,
        versionKey,
        token,
        leaseTtlMs,
        generation,
        nowMs,
        refreshToken,
        creating ? '1' : '',
      ) as Promise<TakeLeaseReply>,
    ensureGeneration: (generationKey, candidate) => ensureGeneration(generationKey, candidate),
    fill: (key, token, entry, ttlMs) => fill(key, token, entry, ttlMs),
    releaseLease: (key, token) => releaseLease(key, token),
    addTagMember: (tagSetKey, key, minTtlMs) => addTagMember(tagSetKey, key, minTtlMs),
    invalidateTag: (tagSetKey, batch) => invalidateTag(tagSetKey, batch),
  };
}
