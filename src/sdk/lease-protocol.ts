import { type KeyTemplate, newGeneration, versionKey } from '../keyspace';
import type { Serializer } from '../redis/serializer';
import { type CacheEntity, entryLifetime, generationOf } from './cache-entities';
import type { CacheTags } from './cache-tags';
import { renderLateTags } from './cache-tags';
import type { GetOptions } from './cache-types';
import type { Clock } from './clock';
import { writeEntry } from './entry-codec';
import { type LeaseFloor, withGenerationMemory } from './read-position-check';
import type { RedisGuard } from './redis-guard';
import type { SdkScripts } from './sdk-scripts';

/** What an attempt to take a fill lease found (see take-lease-2.lua). */
export type LeaseAttempt =
  /** We hold the lease: load and fill with `token`. */
  | {
      readonly outcome: 'lease';
      readonly token: string;
      readonly generation: number;
      readonly floor: LeaseFloor;
    }
  /** A stale value in grace, and we are its refresher: serve `raw`, refresh with `token`. */
  | {
      readonly outcome: 'refresh';
      readonly token: string;
      readonly generation: number;
      readonly floor: LeaseFloor;
      readonly raw: string;
    }
  /** A value is there: fresh (filled since our read), or stale in grace and someone else refreshes it. */
  | { readonly outcome: 'fresh' | 'stale'; readonly generation: number; readonly raw: string }
  /** Someone else holds the lease. */
  | { readonly outcome: 'wait'; readonly generation: number }
  /** Another reader created the entity's generation first: try again under `generation`. */
  | { readonly outcome: 'retry'; readonly generation: number | null };

/** Tags only the loaded row can render, listed just before the fill. */
export interface LateTags {
  /** The params (with any `tagParams`) the row is merged with. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly unresolved: readonly KeyTemplate[];
}

/** What {@link createLeaseProtocol} needs. */
export interface LeaseProtocolOptions {
  readonly prefix: string;
  readonly leaseTtlMs: number;
  readonly serializer: Serializer;
  readonly scripts: SdkScripts;
  readonly guard: RedisGuard;
  readonly tags: CacheTags;
  readonly clock: Clock;
  /** A plain GET (the entity's generation memory, read with each lease). */
  readonly readKey: (key: string) => Promise<string | null>;
}

/** The SDK side of the Redis entry protocol: take a lease, fill under it, release it. */
export interface LeaseProtocol {
  /**
   * Take the fill lease of `key` (or its refresh token, in grace), creating the entity's generation in the
   * same round trip when `generation` is null. Rejects on a Redis failure.
   */
  take(entity: CacheEntity, key: string, generation: number | null): Promise<LeaseAttempt>;
  /** Write a loaded value under our lease or refresh token; resolves whether it was written. Never rejects. */
  fill(
    entity: CacheEntity,
    key: string,
    token: string,
    generation: number,
    version: string,
    value: unknown,
    late: LateTags,
    options: GetOptions | undefined,
  ): Promise<boolean>;
  /** Give up a lease (in the background) so that others need not wait for it to expire. */
  release(entity: CacheEntity, key: string, token: string): void;
}

/**
 * The lease and fill protocol (README, "The entry protocol"), over the SDK's Lua scripts: a miss takes a lease BEFORE the
 * database is read, and a fill is written only while the key still holds that lease.
 *
 * @example
 * const leases = createLeaseProtocol({ prefix, leaseTtlMs: 10_000, serializer, scripts, guard, tags, clock })
 * const attempt = await leases.take(entity, key, generation)
 */
export function createLeaseProtocol(options: LeaseProtocolOptions): LeaseProtocol {
  const { prefix, leaseTtlMs, serializer, scripts, guard, tags, clock, readKey } = options;
  const tokenPrefix = Math.random().toString(36).slice(2, 10);
  let tokenCounter = 0;
  const newToken = () => `${tokenPrefix}${(tokenCounter++).toString(36)}`;

  function release(entity: CacheEntity, key: string, token: string): void {
    guard
      .run('release-lease', () => scripts.releaseLease(key, token))
      .catch((error) => guard.report('release-lease', error, entity.spec.name, key));
  }

  async function take(entity: CacheEntity, key: string, observed: number | null): Promise<LeaseAttempt> {
    const token = newToken();
    const refreshToken = entity.spec.graceMs > 0 ? `${token}.${clock.now() + leaseTtlMs}` : '';
    // A missing generation key (never set, evicted, lost in a failover) gets a new random generation,
    // created in the same round trip as the lease (commands on one connection run in order).
    let created: Promise<unknown> | undefined;
    let generation = observed;
    if (generation === null) {
      const candidate = newGeneration();
      created = guard.run('generation', () => scripts.ensureGeneration(entity.generationKey, candidate));
      created.catch(() => undefined);
      generation = Number(candidate);
    }
    const leaseGeneration = generation;
    // The entity's last truncate, read in the same round trip and AFTER the generation was read (or created, on
    // the same connection: same slot): the worker writes it before the generation it bumps, so a lease under a
    // generation some truncate made sees at least that truncate (see docs/sdk.md).
    const [reply, truncate] = await guard.run('take-lease', () =>
      Promise.all([
        scripts.takeLease(
          key,
          versionKey(prefix, key),
          token,
          leaseTtlMs,
          leaseGeneration,
          clock.now(),
          refreshToken,
          created !== undefined,
        ),
        readKey(entity.generationMemoryKey),
      ]),
    );
    const floorOf = (floor: unknown, since: unknown, xid: unknown, now: unknown): LeaseFloor =>
      withGenerationMemory(
        entity.spec,
        { floor: String(floor ?? ''), since: Number(since ?? -1), transactionId: String(xid ?? '') },
        truncate,
        Number(now),
      );
    const current = created && generationOf(String(await created));
    if (current !== undefined && current !== leaseGeneration) {
      // Another reader created the generation first: what we leased is under a stale one; start over.
      if (reply[0] === 'lease') release(entity, key, token);
      return { outcome: 'retry', generation: current };
    }
    const [outcome, data] = reply;
    switch (outcome) {
      case 'lease': // {'lease', floor, since, xid, now}
        return {
          outcome,
          token,
          generation: leaseGeneration,
          floor: floorOf(data, reply[2], reply[3], reply[4]),
        };
      case 'refresh': // {'refresh', raw, floor, since, xid, now}
        return {
          outcome,
          token: refreshToken,
          generation: leaseGeneration,
          raw: String(data),
          floor: floorOf(reply[2], reply[3], reply[4], reply[5]),
        };
      case 'fresh':
      case 'stale':
        return { outcome, generation: leaseGeneration, raw: String(data) };
      case 'wait': // an unknown outcome never gets here: readTakeLease (src/redis/scripts.ts) throws on it
        return { outcome: 'wait', generation: leaseGeneration };
    }
  }

  async function fill(
    entity: CacheEntity,
    key: string,
    token: string,
    generation: number,
    version: string,
    value: unknown,
    late: LateTags,
    callOptions: GetOptions | undefined,
  ): Promise<boolean> {
    const found = value !== null && value !== undefined;
    try {
      const payload = found ? serializer.serialize(value) : null;
      if (late.unresolved.length > 0 && found && typeof value === 'object') {
        // Tag placeholders that only the loaded row knows: listed now, before the fill (see docs/sdk.md).
        const row = { ...(value as Record<string, unknown>), ...late.params };
        await tags.add(entity, key, renderLateTags(entity, late.unresolved, row));
      }
      const now = clock.now();
      const { freshMs, hardTtlMs } = entryLifetime(entity, found, callOptions);
      const text = writeEntry({ generation, version, writtenAtMs: now, staleAtMs: now + freshMs, payload });
      return (await guard.run('fill', () => scripts.fill(key, token, text, hardTtlMs))) === 1;
    } catch (error) {
      guard.report('fill', error, entity.spec.name, key);
      release(entity, key, token);
      return false;
    }
  }

  return { take, fill, release };
}
