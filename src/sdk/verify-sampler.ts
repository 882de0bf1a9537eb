import { isDeepStrictEqual } from 'node:util';
import { readEntryHeader } from '../redis/entry-format';
import type { Serializer } from '../redis/serializer';
import type { CacheEventMap } from './cache-events';
import { readEntry } from './entry-codec';

/** The `verify` option of `createCache`, resolved (see `CacheOptions.verify`). */
export interface VerifySettings {
  /** Fraction of fresh hits verified, in (0, 1]. */
  readonly rate: number;
  /** How long after a hit the loader runs again; longer than the worker's staleness window. */
  readonly delayMs: number;
  /** Most verifications waiting at once; beyond it a sampled hit is dropped (and counted). */
  readonly maxPending: number;
  /** Whether the served value and the reloaded one are the same. Default: deep equality after the serializer. */
  readonly equals?: (served: unknown, loaded: unknown) => boolean;
}

/** What the sampler needs from its cache; clock, random and timers are injectable for tests. */
export interface VerifySamplerContext {
  readonly serializer: Serializer;
  /** Read an entry and its entity's generation key (raw), as the hit path does. */
  readonly read: (key: string, generationKey: string) => Promise<(string | null)[]>;
  readonly emit: (payload: CacheEventMap['verify']) => void;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly setTimer?: (run: () => void, ms: number) => unknown;
  readonly clearTimer?: (timer: unknown) => void;
}

/** Verifies a sample of hits in the background. */
export interface VerifySampler {
  /** On a fresh hit: maybe schedule a verification (one random draw when not sampled). */
  sample(entity: string, key: string, generationKey: string, raw: string, load: () => unknown): void;
  /** Cancel pending verifications. */
  close(): void;
}

/**
 * The read side of the audit: on a sampled fraction of fresh hits, run the loader again `delayMs` later and
 * compare with the value served. When they differ, the source changed after the value was cached; it is a
 * mismatch only if, another `delayMs` later, Redis still holds that very entry (so no invalidation came
 * within the staleness window). Otherwise it was invalidated in time (`changed`). This catches what the
 * stream side cannot see: a loader on a lagging replica, a key drift, a lost event.
 *
 * @example
 * const sampler = createVerifySampler({ rate: 0.001, delayMs: 30_000, maxPending: 1000 }, { serializer, read, emit })
 * sampler.sample('user', key, generationKey, raw, () => loader(context))
 */
export function createVerifySampler(settings: VerifySettings, context: VerifySamplerContext): VerifySampler {
  const now = context.now ?? Date.now;
  const random = context.random ?? Math.random;
  const setTimer =
    context.setTimer ??
    ((run: () => void, ms: number) => {
      const timer = setTimeout(run, ms);
      timer.unref();
      return timer;
    });
  const clearTimer = context.clearTimer ?? ((timer: unknown) => clearTimeout(timer as NodeJS.Timeout));
  const { serializer, emit } = context;
  const equals =
    settings.equals ??
    ((served: unknown, loaded: unknown) =>
      isDeepStrictEqual(
        served,
        loaded === null ? null : serializer.deserialize(serializer.serialize(loaded)),
      ));
  const timers = new Set<unknown>();
  let closed = false;

  const later = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimer(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const identity = (raw: string | null | undefined) => {
    if (!raw) return undefined;
    const header = readEntryHeader(raw);
    if (!header) return undefined;
    // Read at its own generation (generations are random): whether it is current is checked apart.
    const entry = readEntry(raw, header.generation, 0);
    if (!('payload' in entry)) return undefined;
    const writtenStart = raw.indexOf('|', raw.indexOf('|', 2) + 1) + 1;
    return { writtenAtMs: Number(raw.slice(writtenStart, raw.indexOf('|', writtenStart))), entry, header };
  };

  async function verify(
    entity: string,
    key: string,
    generationKey: string,
    raw: string,
    load: () => unknown,
  ) {
    const served = identity(raw);
    if (!served) return;
    await later(settings.delayMs);
    if (closed) return;
    let loaded: unknown;
    try {
      loaded = (await load()) ?? null;
    } catch {
      emit({ entity, key, outcome: 'failed' });
      return;
    }
    let same: boolean;
    try {
      const value = served.entry.found ? serializer.deserialize(served.entry.payload) : null;
      same = equals(value, loaded);
    } catch {
      emit({ entity, key, outcome: 'failed' });
      return;
    }
    if (same) {
      emit({ entity, key, outcome: 'match' });
      return;
    }
    // The source moved on before the reload: give the worker a whole window to invalidate the entry.
    await later(settings.delayMs);
    if (closed) return;
    let current: (string | null)[];
    try {
      current = await context.read(key, generationKey);
    } catch {
      emit({ entity, key, outcome: 'failed' });
      return;
    }
    const latest = identity(current[0]);
    // Still served: the same entry, in the entity's current generation (a truncate replaces it).
    const still =
      latest !== undefined &&
      current[1] !== null &&
      current[1] !== undefined &&
      latest.header.generation === Number(current[1]) &&
      latest.writtenAtMs === served.writtenAtMs &&
      latest.entry.payload === served.entry.payload;
    emit(
      still
        ? { entity, key, outcome: 'mismatch', ageMs: now() - served.writtenAtMs }
        : { entity, key, outcome: 'changed' },
    );
  }

  let pending = 0;
  return {
    sample(entity, key, generationKey, raw, load) {
      if (random() >= settings.rate || closed) return;
      if (pending >= settings.maxPending) {
        emit({ entity, key, outcome: 'dropped' });
        return;
      }
      pending += 1;
      void verify(entity, key, generationKey, raw, load).finally(() => {
        pending -= 1;
      });
    },
    close() {
      closed = true;
      for (const timer of timers) clearTimer(timer);
      timers.clear();
    },
  };
}
