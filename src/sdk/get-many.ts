import { CdcCacheError } from '../errors';
import { generationOf, ttlOf } from './cache-entities';
import type { BatchLoader, BatchLoaderContext, GetOptions } from './cache-types';
import { decodeEntry, readEntry } from './entry-codec';
import type { ReadDeps } from './get-one';
import type { Load, ReadSink } from './loader-runner';
import { MISS } from './near-cache/attach-near-cache';
import { readPositionPoint } from './read-position-check';
import { emitNotFresh, resolveMiss } from './resolve-miss';

/**
 * `cache.getMany`: the entries and their generation in one round trip, then one loader call for the
 * misses. Each missed key goes through the same lease protocol as `get`, and the batch starts only once
 * every key has its lease and tags in place (or knows it will not load): a row read before its key's lease
 * existed could be filled after an invalidation that never saw the lease.
 *
 * @example
 * const users = await getMany(deps, 'user', [{ id: 1 }, { id: 2 }], (list) => db.users.findMany(list), undefined)
 */
export async function getMany(
  deps: ReadDeps,
  entityName: string,
  paramsList: readonly Readonly<Record<string, unknown>>[],
  loader: BatchLoader<never, unknown>,
  options: GetOptions | undefined,
): Promise<unknown[]> {
  const near = deps.near;
  if (!near?.uses(entityName) || paramsList.length === 0)
    return readMany(deps, entityName, paramsList, loader, options, false);
  // Near cache first; only what it does not hold goes to Redis (and to the loader).
  const entity = deps.entities.get(entityName);
  const results: unknown[] = new Array(paramsList.length).fill(null);
  const missing: number[] = [];
  paramsList.forEach((params, index) => {
    const held = near.lookup(entityName, deps.entities.keyFor(entity, params), entity.generationKey);
    if (held === MISS) missing.push(index);
    else results[index] = held;
  });
  if (missing.length === 0) return results;
  const rest = await readMany(
    deps,
    entityName,
    missing.map((index) => paramsList[index]!),
    loader,
    options,
    true,
  );
  missing.forEach((index, position) => {
    results[index] = rest[position];
  });
  return results;
}

/** The entries through Redis (and the loader); `nearOn`: keep fresh hits in the near cache. */
async function readMany(
  deps: ReadDeps,
  entityName: string,
  paramsList: readonly Readonly<Record<string, unknown>>[],
  loader: BatchLoader<never, unknown>,
  options: GetOptions | undefined,
  nearOn: boolean,
): Promise<unknown[]> {
  const { events, loaders } = deps;
  const entity = deps.entities.get(entityName);
  const keys = paramsList.map((params) => deps.entities.keyFor(entity, params));
  if (options?.ttl !== undefined) ttlOf(entity, options);
  const results: unknown[] = new Array(keys.length).fill(null);
  if (keys.length === 0) return results;
  const near = nearOn ? deps.near : undefined;
  // Taken before the read is sent (see get-one.ts).
  const nearTickets = near ? keys.map((key) => near.ticket(key, entity.generationKey)) : undefined;
  let values: (string | null)[];
  try {
    values = await deps.guard.readMany([...keys, entity.generationKey]);
  } catch (error) {
    deps.guard.report('get-many', error, entityName);
    values = [];
  }
  const generation = generationOf(values[keys.length]);
  const now = deps.clock.now();
  const misses: number[] = [];
  keys.forEach((key, index) => {
    const entry = values.length > 0 ? readEntry(values[index], generation, now) : undefined;
    const nearTicket = nearTickets?.[index];
    if (entry?.state !== 'fresh') near?.release(nearTicket);
    if (entry?.state === 'fresh') {
      try {
        const decoded = decodeEntry(entry, deps.serializer);
        results[index] = near
          ? near.fill(nearTicket, {
              generation: generation!,
              value: decoded,
              payload: entry.payload,
              staleAtMs: entry.staleAtMs,
            })
          : decoded;
        if (events.has('hit')) events.emit('hit', { entity: entityName, key });
        if (deps.verifier) {
          const params = paramsList[index]!;
          deps.verifier.sample(entityName, key, entity.generationKey, values[index]!, async () => {
            const loaded = await loader([params] as never, { entity: entityName, readPosition: () => {} });
            return Array.isArray(loaded) ? loaded[0] : undefined;
          });
        }
        return;
      } catch (error) {
        near?.release(nearTicket);
        deps.guard.report('deserialize', error, entityName, key);
      }
    }
    if (entry) emitNotFresh(deps, entity, key, entry);
    misses.push(index);
  });
  if (misses.length === 0) return results;
  const missParams = misses.map((index) => paramsList[index]!);
  let batch: Promise<readonly unknown[]> | undefined;
  const batchSink: ReadSink = {};
  const batchContext = (sink: ReadSink): BatchLoaderContext => ({
    entity: entityName,
    readPosition: (readAt) => {
      sink.position = readPositionPoint(entity.spec, readAt);
    },
  });
  let unsettled = misses.length;
  let allSettled!: () => void;
  const settledBarrier = new Promise<void>((resolve) => {
    allSettled = resolve;
  });
  await Promise.all(
    misses.map(async (index, position) => {
      const key = keys[index]!;
      const params = paramsList[index]!;
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        unsettled -= 1;
        if (unsettled === 0) allSettled();
      };
      const load: Load = async (sink) => {
        if (batch === undefined) {
          settle();
          await settledBarrier;
          batch ??= Promise.resolve().then(() => loader(missParams as never, batchContext(batchSink)));
        } else if (settled) {
          // A key whose lease came after the batch had started (it waited on another's fill): load it alone.
          const single = await loader([params] as never, batchContext(sink));
          return Array.isArray(single) ? single[0] : undefined;
        }
        const loaded = await batch;
        // The whole batch was read at one position.
        if (batchSink.position !== undefined) sink.position = batchSink.position;
        if (!Array.isArray(loaded) || loaded.length !== missParams.length) {
          throw new CdcCacheError(
            'CDC_LOADER_FAILED',
            `getMany: the loader must return one result per params (${missParams.length}), got ${Array.isArray(loaded) ? loaded.length : typeof loaded}`,
          );
        }
        return loaded[position];
      };
      try {
        if (loaders.pending(key)) settle();
        results[index] =
          values.length === 0
            ? await loaders.joinOrStart(key, () => loaders.loadUncached(entityName, key, load, 'redis-error'))
            : await loaders.joinOrStart(key, () =>
                resolveMiss(
                  deps,
                  { entity, key, params, loaders: { load, fresh: undefined }, options, onNotLoading: settle },
                  generation,
                ),
              );
      } finally {
        settle();
      }
    }),
  );
  return results;
}
