import { CdcCacheError } from '../errors';
import type { SourceSpec } from './keyspace-types';
import { type PostgresSnapshot, parsePostgresSnapshot } from './postgres-snapshot';

/**
 * The one encoding of source versions, used by the decoders (a change's version) and by the SDK (the
 * position a loader read, `ctx.readPosition`), so both sides compare byte-identical text. A version is a
 * string whose byte-wise order is the source's commit order, and it is comparable only within one order:
 * one PostgreSQL LSN stream, one MySQL server's binlog, one DynamoDB item.
 */

/** Width of an LSN and of a binlog position: 20 digits hold any unsigned 64-bit number. */
const WIDE = 20;
const BINLOG_INDEX_WIDTH = 10;
const ROW_WIDTH = 10;
/** DynamoDB numbers (sequence numbers, version attributes) are decimal strings of up to 40 digits. */
export const DYNAMODB_VERSION_WIDTH = 40;

/**
 * A PostgreSQL LSN (a number, a bigint, a decimal string, or the `X/Y` text of `pg_lsn`) as a version.
 *
 * @example
 * postgresVersion(23456) // '00000000000000023456'
 * postgresVersion('0/16B3748') // '00000000000023803720'
 */
export function postgresVersion(lsn: unknown): string | undefined {
  // Debezium's JSON gives the LSN as a number: written straight out, without a bigint (once per change).
  if (typeof lsn === 'number' && Number.isSafeInteger(lsn) && lsn >= 0)
    return String(lsn).padStart(WIDE, '0');
  const value = lsnValue(lsn);
  return value === undefined ? undefined : value.toString().padStart(WIDE, '0');
}

/** An LSN is an unsigned 64-bit number: beyond it, a value is not an LSN (and would not fit the width). */
const MAX_LSN = 2n ** 64n - 1n;

/**
 * A MySQL/MariaDB binlog coordinate (file name, position, row index within the event) as a version:
 * file index, position and row, each zero-padded.
 *
 * @example
 * binlogVersion('mysql-bin.000003', 1540, 1) // '0000000003' + '00000000000000001540' + '0000000001'
 */
export function binlogVersion(file: unknown, pos: unknown, row: unknown = 0): string | undefined {
  const position = unsignedText(pos, WIDE);
  if (typeof file !== 'string' || position === undefined) return undefined;
  const index = (trailingDigits(file) || '0').replace(/^0+(?=\d)/, '');
  const rowText = unsignedText(row, Number.POSITIVE_INFINITY) ?? '0';
  // A part wider than its field would break the byte order of every version after it: no version at all.
  if (index.length > BINLOG_INDEX_WIDTH || rowText.length > ROW_WIDTH) return undefined;
  return (
    index.padStart(BINLOG_INDEX_WIDTH, '0') + position.padStart(WIDE, '0') + rowText.padStart(ROW_WIDTH, '0')
  );
}

/**
 * The digits ending `text` (`mysql-bin.000003` -> `000003`). A loop, not `/(\d+)$/`: that regex retries from
 * every digit of a long run that is not at the end, quadratic in a hostile file name.
 */
function trailingDigits(text: string): string {
  let start = text.length;
  while (start > 0) {
    const code = text.charCodeAt(start - 1);
    if (code < 0x30 || code > 0x39) break;
    start--;
  }
  return text.slice(start);
}

/**
 * A DynamoDB sequence number or numeric version attribute as a version (left-padded to 40 digits, so
 * byte-wise order is numeric order).
 *
 * @example
 * dynamodbVersion(7) // '0000000000000000000000000000000000000007'
 */
export function dynamodbVersion(value: unknown): string | undefined {
  const text = typeof value === 'number' || typeof value === 'bigint' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d{1,40}$/.test(text)) return undefined;
  return text.padStart(DYNAMODB_VERSION_WIDTH, '0');
}

/**
 * What a loader may report with `ctx.readPosition`, in the source's natural form:
 * - PostgreSQL: `{ snapshot }`, the text of `pg_current_snapshot()` read BEFORE the data query (or in the
 *   same statement), e.g. `{ snapshot: '732:734:' }` (`readPostgresPosition` in the SDK reads it). A bare LSN
 *   (`'0/16B3748'`, `{ lsn }`) is still accepted for changes that carry no transaction id, but it cannot show
 *   whether a change's transaction had committed where the loader read: against a key whose changes carry
 *   one, a fill that reports only an LSN is refused (`fill-refused`, reason `invisible`);
 * - MySQL/MariaDB: `{ file, pos }` of the last executed event (`SHOW REPLICA STATUS`: `Relay_Source_Log_File`,
 *   `Exec_Source_Log_Pos`); GTIDs cannot be compared with binlog positions and are refused;
 * - DynamoDB: the item's numeric version attribute (the worker's `versionAttribute`), as read.
 */
export type ReadPosition =
  | string
  | number
  | bigint
  | { readonly lsn: string | number | bigint }
  | PostgresSnapshotPosition
  | BinlogPosition;

/** A PostgreSQL read position: the snapshot the loader read. */
export interface PostgresSnapshotPosition {
  /** `pg_current_snapshot()::text`, e.g. `'732:734:'` (xmin:xmax:running xids). */
  readonly snapshot: string;
}

/** A loader's reported position, reduced to what the fill check needs. */
export interface ReadPoint {
  /** The position as a version of its source's encoding; `''` for a snapshot (it has no version order). */
  readonly version: string;
  /** The PostgreSQL snapshot read, when the loader reported one. */
  readonly snapshot?: PostgresSnapshot;
}

/**
 * A loader's read position as a {@link ReadPoint}: a PostgreSQL snapshot parsed, anything else encoded by
 * {@link readPositionVersion}. Throws `CDC_INVALID_OPTION` naming the problem.
 *
 * @example
 * readPoint(source, { snapshot: '732:734:' }) // { version: '', snapshot: { xmin: 732n, xmax: 734n, xip: [], ... } }
 */
export function readPoint(source: Pick<SourceSpec, 'kind' | 'table'>, position: ReadPosition): ReadPoint {
  if (typeof position === 'object' && position !== null && 'snapshot' in position) {
    if (source.kind === 'dynamodb') {
      throw new CdcCacheError(
        'CDC_INVALID_OPTION',
        `readPosition for ${source.table}: a snapshot is PostgreSQL's`,
        {
          details: { table: source.table },
        },
      );
    }
    return { version: '', snapshot: parsePostgresSnapshot(position.snapshot) };
  }
  return { version: readPositionVersion(source, position) };
}

/** A MySQL/MariaDB binlog position, as `SHOW REPLICA STATUS` or `SHOW MASTER STATUS` report it. */
export interface BinlogPosition {
  readonly file: string;
  readonly pos: number | string | bigint;
}

/**
 * A loader's read position as a version in the same encoding as the changes of `source`, such that a
 * change is contained in the snapshot read exactly when its version is at most the result. PostgreSQL and
 * MySQL report the END of what was applied (the next record starts there), so one is taken off; a
 * DynamoDB version attribute is the version of the write that produced the item read. Throws
 * `CDC_INVALID_OPTION` naming the problem when the position does not fit the source.
 *
 * @example
 * readPositionVersion({ kind: 'table', table: 'public.users', fields: {} }, '0/16B3748') // '00000000000023803719'
 */
export function readPositionVersion(
  source: Pick<SourceSpec, 'kind' | 'table'>,
  position: ReadPosition,
): string {
  const fail = (problem: string): never => {
    throw new CdcCacheError('CDC_INVALID_OPTION', `readPosition for ${source.table}: ${problem}`, {
      details: { table: source.table },
    });
  };
  if (source.kind === 'dynamodb') {
    const version = dynamodbVersion(position);
    return version ?? fail('expects the numeric version attribute of the item read');
  }
  if (typeof position === 'object' && position !== null && 'file' in position) {
    const pos = unsignedText(position.pos, WIDE);
    if (pos === undefined || BigInt(pos) === 0n) return fail('expects { file, pos } with pos > 0');
    // Every row of every event that starts before `pos` is applied: the highest such version.
    return (
      binlogVersion(position.file, (BigInt(pos) - 1n).toString(), '9'.repeat(ROW_WIDTH)) ??
      fail('expects { file, pos }')
    );
  }
  const lsn = lsnValue(
    typeof position === 'object' && position !== null && 'lsn' in position ? position.lsn : position,
  );
  if (lsn === undefined || lsn === 0n)
    return fail(
      `expects a PostgreSQL LSN such as '0/16B3748' or a MySQL { file, pos }, got ${JSON.stringify(String(position))}`,
    );
  return (lsn - 1n).toString().padStart(WIDE, '0');
}

function lsnValue(lsn: unknown): bigint | undefined {
  if (typeof lsn === 'string') {
    const text = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
    if (text) return (BigInt(`0x${text[1]}`) << 32n) | BigInt(`0x${text[2]}`);
  }
  const digits = unsignedText(lsn, WIDE);
  if (digits === undefined) return undefined;
  const value = BigInt(digits);
  return value <= MAX_LSN ? value : undefined;
}

/**
 * The decimal digits of a non-negative integer (no leading zeros), or undefined when it is not one or
 * needs more than `width` digits: a wider part would sort before narrower, smaller ones once padded.
 */
function unsignedText(value: unknown, width: number): string | undefined {
  let text: string | undefined;
  if (typeof value === 'bigint') text = value >= 0n ? value.toString() : undefined;
  else if (typeof value === 'number')
    text = Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  else if (typeof value === 'string' && /^\d+$/.test(value)) text = value.replace(/^0+(?=\d)/, '');
  return text !== undefined && text.length <= width ? text : undefined;
}
