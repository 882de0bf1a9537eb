import { CdcCacheError } from '../errors';

/**
 * PostgreSQL transaction visibility, for fills read from a standby. A change's LSN is the LSN of its own WAL
 * record, not of its commit: a standby that has replayed the record but not yet the commit reports a replay
 * position past the change while the row is still old there. So the question a fill must answer is not "is
 * my position after the change" but "is the change's transaction visible in the snapshot I read". The worker
 * remembers, per key, the newest transaction id (32-bit xid, as Debezium's `source.txId` and pgoutput's
 * BEGIN carry it) among the changes it applied; the loader reports `pg_current_snapshot()`.
 */

/** `pg_current_snapshot()` as numbers: full (epoch-extended) transaction ids. */
export interface PostgresSnapshot {
  /** Every transaction below it had finished when the snapshot was taken. */
  readonly xmin: bigint;
  /** Every transaction at or above it had not started (or not finished). */
  readonly xmax: bigint;
  /**
   * Top-level transactions in [xmin, xmax) still running. Always EMPTY on a hot standby: PostgreSQL keeps them
   * in the snapshot's subxip there, which `pg_current_snapshot()` does not export. Not used by the check.
   */
  readonly xip: readonly bigint[];
  /** The text it was parsed from. */
  readonly text: string;
}

const XID_SPACE = 1n << 32n;
const HALF = 1n << 31n;
const MAX_XID = XID_SPACE - 1n;
const MAX_XID_NUMBER = 2 ** 32 - 1;

/**
 * Parse the text of `pg_current_snapshot()` (`xmin:xmax:xip1,xip2,...`). Throws `CDC_INVALID_OPTION` on
 * anything else.
 *
 * @example
 * parsePostgresSnapshot('732:734:732') // { xmin: 732n, xmax: 734n, xip: [732n], text: '732:734:732' }
 */
export function parsePostgresSnapshot(text: string): PostgresSnapshot {
  const match =
    typeof text === 'string' ? /^(\d{1,20}):(\d{1,20}):((?:\d{1,20}(?:,\d{1,20})*)?)$/.exec(text) : null;
  const xmin = match ? BigInt(match[1]!) : 0n;
  const xmax = match ? BigInt(match[2]!) : 0n;
  if (!match || xmin > xmax) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `'${String(text).slice(0, 80)}' is not a PostgreSQL snapshot (pg_current_snapshot()::text, xmin:xmax:xip,...)`,
    );
  }
  const xip = match[3] ? match[3].split(',').map(BigInt) : [];
  return { xmin, xmax, xip, text };
}

/**
 * A 32-bit transaction id (Debezium `source.txId`, pgoutput BEGIN `xid`) as the decimal text the worker
 * stores, or `undefined` when `value` is not one.
 *
 * @example
 * postgresTransactionId(748) // '748'
 */
export function postgresTransactionId(value: unknown): string | undefined {
  // A number (Debezium's txId, pgoutput's xid) is written straight out, without a regex and two bigints.
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_XID_NUMBER) {
    return String(value);
  }
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,10}$/.test(text) || BigInt(text) > MAX_XID) return undefined;
  return String(BigInt(text));
}

/**
 * The later of two 32-bit transaction ids in PostgreSQL's circular order (within 2^31 of each other), or the
 * one that is set when the other is `''`. The Lua scripts keep the same rule (version-memory.lua).
 *
 * @example
 * laterTransactionId('4294967295', '3') // '3' (3 was assigned after the wraparound)
 */
export function laterTransactionId(a: string, b: string): string {
  if (a === '') return b;
  if (b === '') return a;
  return (BigInt(b) - BigInt(a) + XID_SPACE) % XID_SPACE < HALF ? b : a;
}

/**
 * The full transaction id of a 32-bit `xid` seen by `snapshot`: the one closest to its `xmax` (xids in use
 * are always within 2^31 of the newest).
 */
function fullTransactionId(xid: bigint, snapshot: PostgresSnapshot): bigint {
  const ahead = (xid - (snapshot.xmax % XID_SPACE) + XID_SPACE) % XID_SPACE;
  return ahead < HALF ? snapshot.xmax + ahead : snapshot.xmax + ahead - XID_SPACE;
}

/**
 * True when every transaction up to `horizon` (32-bit, in circular order) had finished in `snapshot`: the
 * check a fill passes when the worker's memory of the key holds `horizon`, the newest transaction among the
 * changes applied to it. The changes applied are committed, so they are then all visible, whatever the order
 * in which they committed (the changes of two rows meeting on one key commit in either order of their ids,
 * so "the newest id is visible" would not do). Only xmin is used: on a standby xip is empty (xmin is all
 * there is), and on a primary the running list cannot say anything about ids the memory did not keep.
 * A horizon at or past xmax, or more than 2^31 behind it, is not finished (conservative).
 *
 * @example
 * transactionsFinished('731', parsePostgresSnapshot('732:734:')) // true
 * transactionsFinished('733', parsePostgresSnapshot('732:734:')) // false (732 still runs)
 */
export function transactionsFinished(horizon: string, snapshot: PostgresSnapshot): boolean {
  return fullTransactionId(BigInt(horizon), snapshot) < snapshot.xmin;
}
