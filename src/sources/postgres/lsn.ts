import { CdcCacheError } from '../../errors';

/**
 * Parse PostgreSQL's text form of an LSN (`'16/B374D848'`: high and low 32 bits in hex) into a number.
 * Throws `CDC_DECODE_FAILED` on anything else.
 *
 * @example
 * parseLsn('0/16B3748') // 23803720n
 */
export function parseLsn(text: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(text);
  if (!match) throw new CdcCacheError('CDC_DECODE_FAILED', `'${text}' is not a PostgreSQL LSN (X/Y in hex)`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/**
 * Format an LSN the way PostgreSQL prints it.
 *
 * @example
 * formatLsn(23803720n) // '0/16B3748'
 */
export function formatLsn(lsn: bigint): string {
  return `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;
}
