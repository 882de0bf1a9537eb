import type { Serializer } from '../redis/serializer';
import type { CacheEntity } from './cache-entities';
import { generationOf } from './cache-entities';
import type { GetOneOptions } from './cache-types';
import { sleep } from './clock';
import { decodeEntry, type ReadEntry, readEntry } from './entry-codec';
import { type FillDeps, loadAndFill, type ReadLoaders } from './load-and-fill';
import { bypassReason } from './redis-guard';

/** Polls for another reader's fill start at this delay and double up to the maximum. */
const FIRST_POLL_MS = 5;
const MAX_POLL_MS = 50;

/** What the miss path needs besides the fill's own dependencies. */
export interface MissDeps extends FillDeps {
  readonly serializer: Serializer;
  /** How long to wait for another reader's fill before loading uncached. */
  readonly leaseWaitMs: number;
  /** With a stale value in grace: how long to wait for the refresh (0: serve stale at once). */
  readonly loaderSoftTimeoutMs: number;
}

/** One read that missed: which key, of which entity, with which params and loaders. */
export interface MissedRead {
  readonly entity: CacheEntity;
  readonly key: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly loaders: ReadLoaders;
  readonly options: GetOneOptions | undefined;
  /** Called when this read will not load itself (it waits on another's fill); `getMany` uses it. */
  readonly onNotLoading?: () => void;
}

/** Count one read that reached Redis and found nothing fresh: a stale value in grace, or a miss. */
export function emitNotFresh(deps: MissDeps, entity: CacheEntity, key: string, entry: ReadEntry): void {
  if (entry.state === 'stale' && entity.spec.graceMs > 0) {
    if (deps.events.has('stale'))
      deps.events.emit('stale', { entity: entity.spec.name, key, ageMs: deps.clock.now() - entry.staleAtMs });
  } else if (deps.events.has('miss')) {
    deps.events.emit('miss', { entity: entity.spec.name, key });
  }
}

/**
 * A miss (or a stale value): take the lease and load, wait for another reader's fill (polling with a
 * bounded backoff, up to `leaseWaitMs`, then load uncached), or, in grace, serve the stale value while one
 * reader refreshes it.
 *
 * @example
 * const value = await resolveMiss(deps, { entity, key, params, loaders, options: undefined }, generation)
 */
export async function resolveMiss(
  deps: MissDeps,
  read: MissedRead,
  observedGeneration: number | null,
): Promise<unknown> {
  const { entity, key, params, loaders, options } = read;
  const { clock, events } = deps;
  const name = entity.spec.name;
  const serveStale = (entry: ReadEntry) => decodeEntry(entry, deps.serializer);
  let generation = observedGeneration;
  const waitStarted = clock.now();
  const deadline = waitStarted + deps.leaseWaitMs;
  let waited = false;
  const leaseWait = (outcome: 'hit' | 'lease' | 'timeout') => {
    if (waited && events.has('lease-wait')) {
      events.emit('lease-wait', { entity: name, key, waitedMs: clock.now() - waitStarted, outcome });
    }
  };
  for (;;) {
    let attempt: Awaited<ReturnType<FillDeps['leases']['take']>>;
    try {
      attempt = await deps.leases.take(entity, key, generation);
    } catch (error) {
      deps.guard.report('take-lease', error, name, key);
      return deps.loaders.loadUncached(name, key, loaders.load, bypassReason(error));
    }
    generation = attempt.generation;
    switch (attempt.outcome) {
      case 'retry':
        continue;
      case 'lease':
        leaseWait('lease');
        return loadAndFill(deps, { entity, key, ...attempt }, params, loaders, options);
      case 'fresh':
      case 'stale':
        leaseWait('hit');
        return serveStale(
          readEntry(
            attempt.raw,
            attempt.generation,
            attempt.outcome === 'fresh' ? 0 : Number.POSITIVE_INFINITY,
          ),
        );
      case 'refresh': {
        const stale = serveStale(readEntry(attempt.raw, attempt.generation, Number.POSITIVE_INFINITY));
        const refreshing = loadAndFill(deps, { entity, key, ...attempt }, params, loaders, options);
        // A failed refresh was reported by the 'load' event; the stale value is still the answer.
        refreshing.catch(() => undefined);
        if (deps.loaderSoftTimeoutMs <= 0) return stale;
        return Promise.race([
          refreshing.catch(() => stale),
          sleep(clock, deps.loaderSoftTimeoutMs).then(() => stale),
        ]);
      }
    }
    // Someone else holds the lease: poll for their fill, with a bounded backoff.
    read.onNotLoading?.();
    waited = true;
    let delay = FIRST_POLL_MS;
    let retake = false;
    while (!retake) {
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        leaseWait('timeout');
        return deps.loaders.loadUncached(name, key, loaders.load, undefined);
      }
      await sleep(clock, Math.min(delay, remaining));
      delay = Math.min(delay * 2, MAX_POLL_MS);
      let values: (string | null)[];
      try {
        values = await deps.guard.read(key, entity.generationKey);
      } catch (error) {
        deps.guard.report('get', error, name, key);
        return deps.loaders.loadUncached(name, key, loaders.load, bypassReason(error));
      }
      generation = generationOf(values[1]);
      const entry = readEntry(values[0], generation, clock.now());
      if (entry.state === 'fresh' || (entry.state === 'stale' && entity.spec.graceMs > 0)) {
        leaseWait('hit');
        return serveStale(entry);
      }
      retake = entry.state !== 'leased';
    }
  }
}
