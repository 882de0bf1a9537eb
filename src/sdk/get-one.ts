import type { CacheEntities, CacheEntity } from './cache-entities';
import { generationOf, ttlOf } from './cache-entities';
import type { GetOneOptions, Loader } from './cache-types';
import { decodeEntry, readEntry } from './entry-codec';
import type { Load } from './loader-runner';
import { MISS, type NearReads } from './near-cache/attach-near-cache';
import { readPositionPoint } from './read-position-check';
import { bypassReason, redisError } from './redis-guard';
import { emitNotFresh, type MissDeps, resolveMiss } from './resolve-miss';
import type { VerifySampler } from './verify-sampler';

/** What the reads of a cache need. */
export interface ReadDeps extends MissDeps {
  readonly entities: CacheEntities;
  /** Verifies a sample of hits (the `verify` option), when on. */
  readonly verifier: VerifySampler | undefined;
  /** The near cache (the `nearCache` option), when on. */
  readonly near: NearReads | undefined;
}

/** A caller's loader as the miss path calls it: with its context, `readPosition` writing to the sink. */
function withContext(
  entity: CacheEntity,
  key: string,
  params: Readonly<Record<string, unknown>>,
  loader: Loader<never, unknown>,
): Load {
  return (sink) =>
    loader({
      entity: entity.spec.name,
      key,
      params: params as never,
      readPosition: (position) => {
        sink.position = readPositionPoint(entity.spec, position);
      },
    });
}

/**
 * `cache.get`: one read of the entry and its generation (coalesced with the tick's other reads); a fresh
 * hit is decoded and returned, anything else joins this process's load of the key or resolves the miss.
 * Redis unavailable: served from the loader (fail-open).
 *
 * @example
 * const user = await getOne(deps, 'user', { id: 42 }, () => db.users.findById(42), undefined)
 */
export async function getOne(
  deps: ReadDeps,
  entityName: string,
  params: Readonly<Record<string, unknown>>,
  loader: Loader<never, unknown>,
  options: GetOneOptions | undefined,
): Promise<unknown> {
  const { events, loaders } = deps;
  const entity = deps.entities.get(entityName);
  const key = deps.entities.keyFor(entity, params);
  if (options?.ttl !== undefined) ttlOf(entity, options); // a bad per-call ttl fails the call, not the fill
  const near = deps.near?.uses(entityName) ? deps.near : undefined;
  if (near) {
    const held = near.lookup(entityName, key, entity.generationKey);
    if (held !== MISS) return held;
  }
  const pending = loaders.pending(key);
  if (pending) {
    if (events.has('miss')) events.emit('miss', { entity: entityName, key });
    return pending;
  }
  const load = withContext(entity, key, params, loader);
  // Taken before the read is sent: an invalidation that overtakes the reply then keeps it out of memory.
  const nearTicket = near?.ticket(key, entity.generationKey);
  let values: (string | null)[];
  try {
    values = await deps.guard.read(key, entity.generationKey);
  } catch (error) {
    near?.release(nearTicket);
    deps.guard.report('get', error, entityName, key);
    const reason = bypassReason(error);
    return loaders.joinOrStart(key, () => loaders.loadUncached(entityName, key, load, reason));
  }
  const generation = generationOf(values[1]);
  const entry = readEntry(values[0], generation, deps.clock.now());
  if (entry.state !== 'fresh') near?.release(nearTicket);
  if (entry.state === 'fresh') {
    try {
      const decoded = decodeEntry(entry, deps.serializer);
      const value = near
        ? near.fill(nearTicket, {
            generation: generation!,
            value: decoded,
            payload: entry.payload,
            staleAtMs: entry.staleAtMs,
          })
        : decoded;
      if (events.has('hit')) events.emit('hit', { entity: entityName, key });
      // The verifier compares values only: the position its re-load reads is not used.
      if (deps.verifier)
        deps.verifier.sample(entityName, key, entity.generationKey, values[0]!, () => load({}));
      return value;
    } catch (error) {
      near?.release(nearTicket);
      deps.guard.report('deserialize', error, entityName, key);
    }
  }
  emitNotFresh(deps, entity, key, entry);
  const fresh = options?.freshLoader
    ? withContext(entity, key, params, options.freshLoader as Loader<never, unknown>)
    : undefined;
  return loaders.joinOrStart(key, () =>
    resolveMiss(deps, { entity, key, params, loaders: { load, fresh }, options }, generation),
  );
}

/**
 * `cache.peek`: the cached value without loading (`undefined` when nothing usable is cached); a Redis
 * failure rejects with `CDC_REDIS_UNAVAILABLE`.
 */
export async function peek(
  deps: Pick<ReadDeps, 'entities' | 'guard' | 'clock' | 'serializer'>,
  entityName: string,
  params: Readonly<Record<string, unknown>>,
): Promise<unknown> {
  const entity = deps.entities.get(entityName);
  const key = deps.entities.keyFor(entity, params);
  const values = await deps.guard.read(key, entity.generationKey).catch((error) => {
    throw redisError('peek', error);
  });
  const entry = readEntry(values[0], generationOf(values[1]), deps.clock.now());
  if (entry.state === 'fresh' || (entry.state === 'stale' && entity.spec.graceMs > 0))
    return decodeEntry(entry, deps.serializer);
  return undefined;
}
