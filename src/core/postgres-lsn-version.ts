/** Width of the zero-padded LSN: 20 digits hold any unsigned 64-bit number. */
const LSN_WIDTH = 20;

/**
 * The comparable version of a PostgreSQL change: its LSN as a decimal integer, zero-padded to 20 digits,
 * so byte order is LSN order. One rule for every PostgreSQL source (Debezium's `source.lsn` and the
 * pgoutput worker's change LSN), so versions written by one path compare correctly with the other's.
 *
 * @example
 * postgresLsnVersion(23456n) // '00000000000000023456'
 * postgresLsnVersion('23456') // '00000000000000023456'
 */
export function postgresLsnVersion(lsn: bigint | string): string {
  const digits = typeof lsn === 'bigint' ? lsn.toString() : lsn.replace(/^0+(?=\d)/, '');
  return digits.padStart(LSN_WIDTH, '0');
}
