import { ENTRY_KIND, readEntryHeader } from '../redis/entry-format';

/** The change an entry is judged against. */
export interface AuditedChange {
  /** The change's source version (`ChangeEvent.version`), `''` when unknown. */
  readonly version: string;
  /**
   * The latest time the change can have committed, ms since the epoch: an entry written at or after it is
   * newer than the change. (Commit time plus the source clock's precision, and never after its arrival.)
   */
  readonly newerFromMs: number;
}

/** Why an entry is consistent with a change: it cannot serve data from before it. */
export type ConsistentReason =
  | 'absent'
  | 'not-an-entry'
  | 'older-generation'
  | 'lease'
  | 'tombstone'
  | 'newer-version'
  | 'written-after';

/** Why an entry is inconsistent with a change: it still serves data from before it. */
export type InconsistentReason = 'older-version' | 'written-before';

/** The verdict on one key. */
export type AuditVerdict =
  | { readonly consistent: true; readonly reason: ConsistentReason }
  | {
      readonly consistent: false;
      readonly reason: InconsistentReason;
      /** When the offending entry was written (ms since the epoch). */
      readonly writtenAtMs: number;
    };

const verdicts = new Map<ConsistentReason, AuditVerdict>();
function consistent(reason: ConsistentReason): AuditVerdict {
  let verdict = verdicts.get(reason);
  if (!verdict) {
    verdict = { consistent: true, reason };
    verdicts.set(reason, verdict);
  }
  return verdict;
}

/**
 * Judge one entry (the raw string of its Redis key, see src/redis/entry-format.ts) against a change the
 * worker should have applied to it. Pure.
 *
 * Consistent: nothing a reader would serve (absent, not a cdc-cache entry, a lease, a tombstone at any
 * version, a value of an older generation that reads as a miss), or a value/not-found whose version is
 * at least the change's, or (when either version is unknown: SDK fills carry none) written after the
 * change committed. Inconsistent: a value or not-found at an older version, or written at or before the
 * commit. Versions are compared byte-wise, as the Lua scripts do; times compare the source's commit clock
 * with the writer's clock (skew shifts the verdict, see docs/audit.md).
 *
 * @example
 * classifyEntry('v|0||1700000000000|1700000300000||j{"id":1}', 0, { version: '', newerFromMs: 1700000001000 })
 * // { consistent: false, reason: 'written-before', writtenAtMs: 1700000000000 }
 */
export function classifyEntry(
  raw: string | null | undefined,
  generation: number,
  change: AuditedChange,
): AuditVerdict {
  if (raw === null || raw === undefined) return consistent('absent');
  const header = readEntryHeader(raw);
  if (!header) return consistent('not-an-entry');
  if (header.generation < generation) return consistent('older-generation');
  if (header.kind === ENTRY_KIND.lease) return consistent('lease');
  if (header.kind === ENTRY_KIND.tombstone) return consistent('tombstone');
  // A value or a cached not-found: `v|gen|version|writtenAt|...`
  const writtenStart = raw.indexOf('|', raw.indexOf('|', 2) + 1) + 1;
  const writtenAtMs = Number(raw.slice(writtenStart, raw.indexOf('|', writtenStart)));
  if (header.version !== '' && change.version !== '') {
    // Versions are ASCII, so UTF-16 order is byte order (compare-versions.lua).
    return header.version >= change.version
      ? consistent('newer-version')
      : { consistent: false, reason: 'older-version', writtenAtMs };
  }
  return writtenAtMs >= change.newerFromMs
    ? consistent('written-after')
    : { consistent: false, reason: 'written-before', writtenAtMs };
}

/**
 * Judge a truncate: the entity's truncation key (see `truncationKey`) must hold the change's version or a
 * newer one; the worker raises it in the same pipeline as the generation bump.
 *
 * @example
 * classifyTruncation('00000000000000000042', '00000000000000000040') // { consistent: true, reason: 'newer-version' }
 */
export function classifyTruncation(raw: string | null | undefined, version: string): AuditVerdict {
  if (raw !== null && raw !== undefined && raw >= version) return consistent('newer-version');
  return { consistent: false, reason: 'older-version', writtenAtMs: 0 };
}
