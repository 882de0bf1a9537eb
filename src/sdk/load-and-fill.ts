import { CdcCacheError } from '../errors';
import type { ReadPoint } from '../keyspace';
import type { CacheEntity } from './cache-entities';
import type { CacheEvents } from './cache-events';
import { type CacheTags, renderTags } from './cache-tags';
import type { GetOneOptions } from './cache-types';
import type { Clock } from './clock';
import type { LateTags, LeaseProtocol } from './lease-protocol';
import type { Load, LoaderRunner, ReadSink } from './loader-runner';
import { fillRefusal, type LeaseFloor } from './read-position-check';
import type { RedisGuard } from './redis-guard';

/** What a load under a lease needs. */
export interface FillDeps {
  readonly events: CacheEvents;
  readonly clock: Clock;
  readonly guard: RedisGuard;
  readonly loaders: LoaderRunner;
  readonly leases: LeaseProtocol;
  readonly tags: CacheTags;
}

/** A lease (or refresh token) we hold on one key. */
export interface HeldLease {
  readonly entity: CacheEntity;
  readonly key: string;
  readonly token: string;
  readonly generation: number;
  readonly floor: LeaseFloor;
}

/** The loaders of one read: the caller's, and the optional `freshLoader` for a refused read. */
export interface ReadLoaders {
  readonly load: Load;
  readonly fresh: Load | undefined;
}

/**
 * We hold the lease (or refresh token): list the tags, load, then fill (or, for a read too old to cache,
 * serve it and try the `freshLoader`). A loader past the hard timeout rejects here but keeps running, and
 * may still fill if nothing invalidated the entry meanwhile.
 *
 * @example
 * const value = await loadAndFill(deps, lease, params, { load, fresh: undefined }, options)
 */
export async function loadAndFill(
  deps: FillDeps,
  lease: HeldLease,
  params: Readonly<Record<string, unknown>>,
  loaders: ReadLoaders,
  options: GetOneOptions | undefined,
): Promise<unknown> {
  const { entity, key, token } = lease;
  const name = entity.spec.name;
  const tagValues = options?.tagParams ? { ...params, ...options.tagParams } : params;
  const { rendered, unresolved } = renderTags(entity, tagValues);
  try {
    // Tags are listed BEFORE loading: a tag invalidation during the load then deletes our lease.
    await deps.tags.add(entity, key, rendered);
  } catch (error) {
    deps.guard.report('tag', error, name, key);
    deps.leases.release(entity, key, token);
    return deps.loaders.loadUncached(name, key, loaders.load, 'redis-error');
  }
  const started = deps.clock.now();
  const late: LateTags = { params: tagValues, unresolved };
  const sink: ReadSink = {};
  const { underlying, bounded } = deps.loaders.call(() => loaders.load(sink));
  let value: unknown;
  try {
    value = await bounded;
  } catch (error) {
    if (error instanceof CdcCacheError && error.code === 'CDC_LOADER_TIMEOUT') {
      // The loader keeps running: let it still fill if nothing invalidated the entry meanwhile.
      underlying.then(
        (lateValue) =>
          settle(deps, lease, { value: lateValue, position: sink.position }, late, options, undefined),
        () => deps.leases.release(entity, key, token),
      );
    } else {
      deps.leases.release(entity, key, token);
    }
    deps.loaders.emitLoad(name, key, started, FAILED);
    throw error;
  }
  let settled: { value: unknown; cached: boolean };
  try {
    settled = await settle(deps, lease, { value, position: sink.position }, late, options, loaders.fresh);
  } catch (error) {
    deps.loaders.emitLoad(name, key, started, FAILED);
    throw error;
  }
  const found = settled.value !== null && settled.value !== undefined;
  deps.loaders.emitLoad(name, key, started, { found, cached: settled.cached, failed: false });
  return settled.value ?? null;
}

const FAILED = { found: false, cached: false, failed: true } as const;

/** Settle a load under our lease: fill it, or, when the read was too old, serve it and try a fresh read. */
async function settle(
  deps: FillDeps,
  lease: HeldLease,
  loaded: { value: unknown; position: ReadPoint | undefined },
  late: LateTags,
  options: GetOneOptions | undefined,
  fresh: Load | undefined,
): Promise<{ value: unknown; cached: boolean }> {
  const { entity, key, token, generation } = lease;
  const reason = fillRefusal(entity.spec, lease.floor, loaded.position);
  if (reason === undefined) {
    // A PostgreSQL snapshot has no version: the fill carries none (a later change deletes it, never compares).
    const version = loaded.position?.version ?? '';
    const cached = await deps.leases.fill(
      entity,
      key,
      token,
      generation,
      version,
      loaded.value,
      late,
      options,
    );
    return { value: loaded.value, cached };
  }
  if (deps.events.has('fill-refused')) {
    deps.events.emit('fill-refused', {
      entity: entity.spec.name,
      key,
      reason,
      position: loaded.position?.snapshot?.text ?? loaded.position?.version ?? '',
      floor: lease.floor.floor,
      fresh: fresh !== undefined,
    });
  }
  if (fresh === undefined) {
    deps.leases.release(entity, key, token);
    return { value: loaded.value, cached: false };
  }
  // One fresh read under the same lease: the readers waiting on it get the cached result, not a DB read each.
  let value: unknown;
  try {
    value = await deps.loaders.call(() => fresh({})).bounded;
  } catch (error) {
    deps.leases.release(entity, key, token);
    throw error;
  }
  return { value, cached: await deps.leases.fill(entity, key, token, generation, '', value, late, options) };
}
