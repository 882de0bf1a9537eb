import { ENTRY_KIND } from '../redis/entry-format';
import type { Serializer } from '../redis/serializer';

/** What a raw entry means to a reader, given the entity's current generation and the time. */
export type ReadEntry =
  /** Nothing usable: absent, a tombstone, not a cdc-cache entry, an older generation, or expired. */
  | { readonly state: 'absent' }
  /** Someone holds the fill lease. */
  | { readonly state: 'leased' }
  /** A value (`found` false for a cached not-found) that is fresh, or stale but still within grace. */
  | {
      readonly state: 'fresh' | 'stale';
      readonly found: boolean;
      readonly payload: string;
      readonly staleAtMs: number;
      readonly refreshing: boolean;
    };

const ABSENT: ReadEntry = { state: 'absent' };
const LEASED: ReadEntry = { state: 'leased' };

/**
 * Decode a raw entry (see src/redis/entry-format.ts) for the hit path, without allocating more than the
 * payload slice. `generation` is the entity's current generation, `null` when its key is missing (then no
 * entry is usable: whoever fills next creates a new generation).
 *
 * @example
 * readEntry('v|0||1700000000000|1700000300000||j{"id":1}', 0, Date.now())
 */
export function readEntry(
  raw: string | null | undefined,
  generation: number | null,
  nowMs: number,
): ReadEntry {
  if (raw?.charCodeAt(1) !== 124 /* | */) return ABSENT;
  const kind = raw[0];
  const genEnd = raw.indexOf('|', 2);
  if (genEnd < 0) return ABSENT;
  const entryGeneration = Number(raw.slice(2, genEnd));
  // Only the current generation: an entry of an older one predates a truncate (or a lost generation key).
  if (entryGeneration !== generation) return ABSENT;
  if (kind === ENTRY_KIND.lease) return LEASED;
  if (kind !== ENTRY_KIND.value && kind !== ENTRY_KIND.notFound) return ABSENT;
  const versionEnd = raw.indexOf('|', genEnd + 1);
  const writtenEnd = raw.indexOf('|', versionEnd + 1);
  const staleEnd = raw.indexOf('|', writtenEnd + 1);
  const tokenEnd = raw.indexOf('|', staleEnd + 1);
  if (versionEnd < 0 || writtenEnd < 0 || staleEnd < 0 || tokenEnd < 0) return ABSENT;
  const staleAtMs = Number(raw.slice(writtenEnd + 1, staleEnd));
  return {
    state: nowMs < staleAtMs ? 'fresh' : 'stale',
    found: kind === ENTRY_KIND.value,
    payload: raw.slice(tokenEnd + 1),
    staleAtMs,
    refreshing: tokenEnd > staleEnd + 1,
  };
}

/** The fields of a value or not-found entry to write. */
export interface EntryToWrite {
  readonly generation: number;
  readonly version: string;
  readonly writtenAtMs: number;
  readonly staleAtMs: number;
  /** Serialized payload, or `null` for a not-found. */
  readonly payload: string | null;
}

/**
 * Encode a value (or not-found when `payload` is null) entry, with no refresh token.
 *
 * @example
 * writeEntry({ generation: 0, version: '', writtenAtMs: 1, staleAtMs: 2, payload: 'j1' }) // 'v|0||1|2||j1'
 */
export function writeEntry(entry: EntryToWrite): string {
  const kind = entry.payload === null ? ENTRY_KIND.notFound : ENTRY_KIND.value;
  return `${kind}|${entry.generation}|${entry.version}|${entry.writtenAtMs}|${entry.staleAtMs}||${entry.payload ?? ''}`;
}

/**
 * The value of a fresh or stale entry (`null` for a cached not-found); anything else is `null` too.
 * Throws whatever the serializer throws for a payload it cannot read.
 *
 * @example
 * decodeEntry(readEntry(raw, generation, Date.now()), jsonSerializer)
 */
export function decodeEntry(entry: ReadEntry, serializer: Serializer): unknown {
  return 'found' in entry && entry.found ? serializer.deserialize(entry.payload) : null;
}
