import type { RedisPort } from '../redis/redis-port';
import { scripts } from '../redis/scripts';

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

/**
 * The SDK's calls to its Lua scripts (declared once in `redis/scripts.ts`), through the Redis port: by SHA,
 * EVAL when the server lost them.
 *
 * @example
 * const calls = sdkScripts(port)
 * await calls.releaseLease(key, token)
 */
export function sdkScripts(redis: RedisPort): SdkScripts {
  return {
    takeLease: async (key, versionKey, token, leaseTtlMs, generation, nowMs, refreshToken, creating) =>
      [
        ...(await scripts.takeLease.run(
          redis,
          [key, versionKey],
          [token, leaseTtlMs, String(generation), nowMs, refreshToken, creating ? '1' : ''],
        )),
      ] as TakeLeaseReply,
    ensureGeneration: (generationKey, candidate) =>
      scripts.ensureGeneration.run(redis, [generationKey], [candidate]),
    fill: (key, token, entry, ttlMs) => scripts.fill.run(redis, [key], [token, entry, ttlMs]),
    releaseLease: (key, token) => scripts.releaseLease.run(redis, [key], [token]),
    addTagMember: (tagSetKey, key, minTtlMs) => scripts.addTagMember.run(redis, [tagSetKey], [key, minTtlMs]),
    invalidateTag: (tagSetKey, batch) => scripts.invalidateTag.run(redis, [tagSetKey], [batch]),
  };
}
