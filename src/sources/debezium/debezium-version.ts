import { postgresTransactionId } from '../../keyspace/postgres-snapshot';
import { binlogVersion, postgresVersion } from '../../keyspace/source-version';

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
  // The encoding lives with the keyspace: the SDK encodes a loader's read position with the same functions.
  const lsn = postgresVersion(source.lsn);
  if (lsn !== undefined) return lsn;
  return binlogVersion(source.file, source.pos, source.row) ?? '';
}

/**
 * A PostgreSQL change's transaction id (`source.txId`, the 32-bit xid) as `ChangeEvent.transactionId`, or
 * `undefined` when the block has none (MySQL, or a flattened record whose `add.fields` leave `txId` out).
 *
 * @example
 * debeziumTransactionId({ txId: 748 }) // '748'
 */
export function debeziumTransactionId(source: { readonly txId?: unknown }): string | undefined {
  return postgresTransactionId(source.txId);
}
