import { postgresLsnVersion } from '../../core/postgres-lsn-version';

/** Width of each zero-padded part: 20 digits hold any unsigned 64-bit number. */
const WIDE = 20;
const BINLOG_INDEX_WIDTH = 10;
const ROW_WIDTH = 10;

/** The fields of a Debezium `source` block that order changes. */
export interface DebeziumSourcePosition {
  /** PostgreSQL: the LSN of the change. */
  readonly lsn?: unknown;
  /** MySQL/MariaDB: binlog file name, e.g. `mysql-bin.000003`. */
  readonly file?: unknown;
  /** MySQL/MariaDB: position of the event in that binlog file. */
  readonly pos?: unknown;
  /** MySQL/MariaDB: index of the row within the event. */
  readonly row?: unknown;
}

/**
 * A change's comparable version: a string whose byte order is the commit order of changes to one row.
 * PostgreSQL: the change's LSN, zero-padded to 20 digits (row locks order two writes of a row, so the
 * later write always has the higher LSN). MySQL/MariaDB: binlog file index, position and row, each
 * zero-padded. GTIDs are not used: a GTID set is not a total order across source servers. `''` when
 * the block carries neither.
 *
 * @example
 * debeziumVersion({ lsn: 23456 }) // '00000000000000023456'
 * debeziumVersion({ file: 'mysql-bin.000003', pos: 1540, row: 1 }) // '0000000003' + '00000000000000001540' + '0000000001'
 */
export function debeziumVersion(source: DebeziumSourcePosition): string {
  const lsn = unsignedText(source.lsn);
  if (lsn !== undefined) return postgresLsnVersion(lsn);
  const pos = unsignedText(source.pos);
  if (typeof source.file === 'string' && pos !== undefined) {
    const index = /(\d+)$/.exec(source.file)?.[1] ?? '0';
    const row = unsignedText(source.row) ?? '0';
    return (
      index.replace(/^0+(?=\d)/, '').padStart(BINLOG_INDEX_WIDTH, '0') +
      pos.padStart(WIDE, '0') +
      row.padStart(ROW_WIDTH, '0')
    );
  }
  return '';
}

function unsignedText(value: unknown): string | undefined {
  if (typeof value === 'bigint') return value >= 0n ? value.toString() : undefined;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value === 'string' && /^\d+$/.test(value)) return value.replace(/^0+(?=\d)/, '');
  return undefined;
}
