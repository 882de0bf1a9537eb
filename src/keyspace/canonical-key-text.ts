import { CdcCacheError } from '../errors';
import type { ColumnType } from './column-type';

/**
 * The canonical text of a key value: the ONE place that decides how a column value becomes the text of a
 * key segment, for the SDK (what a database driver returns) and the worker (what a change event decodes to)
 * alike. Both land on the same text for the same column value; docs/sdk.md has the table.
 *
 * | type        | canonical text                                    | accepted values                                         |
 * | ----------- | ------------------------------------------------- | ------------------------------------------------------- |
 * | integer     | `-42` (decimal, no leading zeros)                 | integer number, bigint, integer string                  |
 * | bigint      | same as integer                                   | same as integer                                         |
 * | numeric     | `12.5`, `0.0000001` (exact, no exponent, no trailing zeros) | number, bigint, decimal string (exponent allowed), DynamoDB `NumberValue` |
 * | float       | same as numeric                                   | same as numeric                                         |
 * | boolean     | `true` / `false`                                  | boolean, 0/1, 'true'/'false'/'t'/'f'/'1'/'0'            |
 * | text        | the string itself                                 | string (a number or bigint as its decimal text)         |
 * | uuid        | lowercase, hyphenated                             | string of 32 hex digits, hyphens optional               |
 * | date        | `2024-01-02`                                      | 'YYYY-MM-DD', Date (its LOCAL calendar day: drivers build local midnight) |
 * | time        | `03:04:05.123456` (fraction without trailing zeros) | 'HH:MM:SS[.f]'                                        |
 * | timestamp   | `2024-01-02T03:04:05.123` (wall clock, to the ms) | 'YYYY-MM-DD HH:MM:SS[.f]' without offset, Date (its LOCAL wall clock, as drivers build it) |
 * | timestamptz | `2024-01-02T03:04:05.123Z` (UTC, to the ms)       | Date, ISO string with `Z` or an offset                  |
 * | bytes       | standard base64                                   | Uint8Array/Buffer, base64 string                        |
 *
 * Without a declared type a value is read by its JavaScript type: a string as itself, a number, bigint or
 * `NumberValue` as numeric, a boolean, bytes as base64. A `Date` needs a declared type (date, timestamp and
 * timestamptz read it differently), and an object (json/jsonb) can never be a key.
 *
 * Timestamps are keyed to the millisecond, the precision of a JavaScript `Date`: rows differing only below
 * one millisecond share a key, which can only over-invalidate, never leave a stale value behind.
 */

/** A DynamoDB `NumberValue` (`@aws-sdk/lib-dynamodb` with `wrapNumbers`), recognised by shape. */
interface NumberValueLike {
  readonly value: string;
  toAttributeValue(): unknown;
}

const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const INTEGER = /^[+-]?\d+$/;
const UUID = /^\{?([0-9a-f]{8})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{4})-?([0-9a-f]{12})\}?$/i;
const DATE = /^(-?\d{4,6})-(\d{2})-(\d{2})$/;
const TIME = /^(-?\d{2,3}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;
const WALL_CLOCK = /^(-?\d{4,6})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?/;
const OFFSET = /^(?:Z|([+-])(\d{2})(?::?(\d{2}))?)$/i;
/** Standard base64 with padding: the canonical text of bytes, and how Debezium writes them in JSON. */
export const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** DynamoDB numbers span 1e-130 to 1e126; a longer expansion is no database value. */
const MAX_EXPONENT = 400;

/**
 * The canonical text of one key value: `undefined` when it names no row (null, undefined, ''), else the
 * text. Throws `CDC_INVALID_KEY_PARAMS` naming the problem when the value cannot be a value of that type.
 *
 * @example
 * canonicalKeyText(new Date(2024, 0, 2), { name: 'date' }) // '2024-01-02', whatever the process TZ
 * canonicalKeyText('12.50', { name: 'numeric' }) // '12.5'
 * canonicalKeyText(1e-7) // '0.0000001'
 */
export function canonicalKeyText(value: unknown, type?: ColumnType): string | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  // Fast path of the most common key: a plain id.
  if (typeof value === 'number' && Number.isSafeInteger(value) && type?.name !== 'boolean') {
    if (type === undefined || type.name === 'integer' || type.name === 'bigint' || type.name === 'text') {
      return value === 0 ? '0' : String(value);
    }
  }
  if (type === undefined) return untypedText(value);
  switch (type.name) {
    case 'integer':
    case 'bigint':
      return integerText(value);
    case 'numeric':
    case 'float':
      return numericText(value);
    case 'boolean':
      return booleanText(value);
    case 'text':
      if (typeof value === 'string') return value;
      if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') {
        return numericText(value);
      }
      throw invalid(value, 'text', 'a string');
    case 'uuid':
      return uuidText(value);
    case 'date':
      return dateText(value);
    case 'time':
      return timeText(value);
    case 'timestamp':
      return timestampText(value);
    case 'timestamptz':
      return timestamptzText(value);
    case 'bytes':
      return bytesText(value);
  }
}

function untypedText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
      return numericText(value);
    case 'boolean':
      return String(value);
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64');
  if (isNumberValue(value)) return numericText(value);
  if (value instanceof Date) {
    throw new CdcCacheError(
      'CDC_INVALID_KEY_PARAMS',
      "a Date needs the column's declared type (date, timestamp or timestamptz read it differently): add it to the source's columns, e.g. columns: { day: 'date' }",
    );
  }
  throw invalid(value, undefined, 'a string, number, bigint, boolean or bytes');
}

function integerText(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value)) {
    // Beyond 2^53 a number may already have lost digits (mysql2's default for BIGINT): never guess a key.
    if (!Number.isSafeInteger(value)) {
      throw invalid(
        value,
        'integer',
        'a bigint or a string beyond 2^53, where a number may have lost digits (mysql2: supportBigNumbers and bigNumberStrings)',
      );
    }
    return numericText(value);
  }
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && INTEGER.test(value)) return BigInt(value).toString();
  if (isNumberValue(value) && INTEGER.test(value.value)) return BigInt(value.value).toString();
  throw invalid(value, 'integer', 'an integer number, a bigint or an integer string');
}

/**
 * Exact decimal text without exponent, leading zeros or trailing fractional zeros: '1e-7', 1e-7 and
 * '0.00000010' all become '0.0000001'.
 */
function numericText(value: unknown): string {
  if (typeof value === 'bigint') return value.toString();
  let text: string | undefined;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid(value, 'numeric', 'a finite number');
    text = String(value);
  } else if (typeof value === 'string') text = value;
  else if (isNumberValue(value)) text = value.value;
  const match = text === undefined ? null : DECIMAL.exec(text.trim());
  if (!match || (match[2] === '' && (match[3] ?? '') === '')) {
    throw invalid(value, 'numeric', 'a number, a bigint or a decimal string');
  }
  const [, sign, whole = '', fraction = '', exponentText = '0'] = match;
  const exponent = Number(exponentText) - fraction.length;
  const digits = (whole + fraction).replace(/^0+/, '');
  if (digits === '') return '0';
  if (Math.abs(exponent) > MAX_EXPONENT) throw invalid(value, 'numeric', 'a number within 1e±400');
  const negative = sign === '-' ? '-' : '';
  if (exponent >= 0) return negative + digits + '0'.repeat(exponent);
  const point = digits.length + exponent;
  const integerPart = point > 0 ? digits.slice(0, point) : '0';
  const fractionPart = (point >= 0 ? digits.slice(point) : '0'.repeat(-point) + digits).replace(/0+$/, '');
  return negative + integerPart + (fractionPart ? `.${fractionPart}` : '');
}

function booleanText(value: unknown): string {
  if (typeof value === 'boolean') return String(value);
  if (value === 1 || value === 't' || value === 'true' || value === '1') return 'true';
  if (value === 0 || value === 'f' || value === 'false' || value === '0') return 'false';
  throw invalid(value, 'boolean', 'a boolean, 0 or 1');
}

function uuidText(value: unknown): string {
  const match = typeof value === 'string' ? UUID.exec(value) : null;
  if (!match) throw invalid(value, 'uuid', 'a string of 32 hex digits');
  return match.slice(1).join('-').toLowerCase();
}

function dateText(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(value, 'date', 'a valid Date');
    // node-postgres and mysql2 build a date column's Date at LOCAL midnight: its local calendar day is the value.
    return utcDay(value.getFullYear(), value.getMonth(), value.getDate()).toISOString().slice(0, -14);
  }
  const match = typeof value === 'string' ? DATE.exec(value) : null;
  if (!match) throw invalid(value, 'date', "'YYYY-MM-DD' or a Date");
  const day = utcDay(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  const text = day.toISOString().slice(0, -14);
  if (day.getUTCDate() !== Number(match[3])) throw invalid(value, 'date', 'an existing calendar day');
  return text;
}

function timeText(value: unknown): string {
  const match = typeof value === 'string' ? TIME.exec(value) : null;
  if (!match) throw invalid(value, 'time', "'HH:MM:SS[.ffffff]'");
  const [, hours = '', minutes = '', seconds = '00', fraction = ''] = match;
  const trimmed = fraction.replace(/0+$/, '');
  return `${hours}:${minutes}:${seconds}${trimmed ? `.${trimmed}` : ''}`;
}

function timestampText(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(value, 'timestamp', 'a valid Date');
    // Drivers build a timestamp-without-time-zone Date from the wall clock in the LOCAL zone.
    const wall = utcDay(value.getFullYear(), value.getMonth(), value.getDate());
    wall.setUTCHours(value.getHours(), value.getMinutes(), value.getSeconds(), value.getMilliseconds());
    return wall.toISOString().slice(0, -1);
  }
  const parsed = typeof value === 'string' ? parseWallClock(value) : undefined;
  if (parsed?.rest !== '') {
    throw invalid(value, 'timestamp', "'YYYY-MM-DD HH:MM:SS[.ffffff]' without an offset, or a Date");
  }
  return parsed.wall.toISOString().slice(0, -1);
}

function timestamptzText(value: unknown): string {
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw invalid(value, 'timestamptz', 'a valid Date');
    return value.toISOString();
  }
  const parsed = typeof value === 'string' ? parseWallClock(value) : undefined;
  const offset = parsed ? OFFSET.exec(parsed.rest.trim()) : null;
  if (!parsed || !offset) {
    throw invalid(value, 'timestamptz', "a Date or an ISO timestamp with 'Z' or an offset");
  }
  const minutes = offset[1]
    ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3] ?? 0))
    : 0;
  return new Date(parsed.wall.getTime() - minutes * 60_000).toISOString();
}

function bytesText(value: unknown): string {
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64');
  if (typeof value === 'string' && BASE64.test(value)) return value;
  throw invalid(value, 'bytes', 'a Uint8Array or a base64 string');
}

/** The wall clock of 'YYYY-MM-DD[T ]HH:MM[:SS[.f]]' as a UTC Date (to the ms), and what follows it. */
function parseWallClock(text: string): { wall: Date; rest: string } | undefined {
  const match = WALL_CLOCK.exec(text);
  if (!match) return undefined;
  const [all, year, month, day, hours, minutes, seconds = '0', fraction = ''] = match;
  const wall = utcDay(Number(year), Number(month) - 1, Number(day));
  if (wall.getUTCDate() !== Number(day)) return undefined;
  wall.setUTCHours(
    Number(hours),
    Number(minutes),
    Number(seconds),
    Number(fraction.padEnd(3, '0').slice(0, 3)),
  );
  return { wall, rest: text.slice(all.length) };
}

/** Midnight UTC of a calendar day; years 0 to 99 stay themselves (Date.UTC would read them as 19xx). */
function utcDay(year: number, monthIndex: number, day: number): Date {
  const date = new Date(0);
  date.setUTCFullYear(year, monthIndex, day);
  return date;
}

function isNumberValue(value: unknown): value is NumberValueLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as NumberValueLike).value === 'string' &&
    typeof (value as NumberValueLike).toAttributeValue === 'function'
  );
}

function invalid(value: unknown, type: string | undefined, expected: string): CdcCacheError {
  const column = type ? `a ${type} column` : 'a key';
  return new CdcCacheError(
    'CDC_INVALID_KEY_PARAMS',
    `${describe(value)} cannot be ${column} value: expected ${expected}`,
    {
      details: { type: type ?? null },
    },
  );
}

function describe(value: unknown): string {
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return `the ${typeof value} ${String(value)}`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'an invalid Date' : 'a Date';
  if (Array.isArray(value)) return 'an array (json/jsonb cannot be a key)';
  return typeof value === 'object' ? 'an object (json/jsonb cannot be a key)' : `a ${typeof value}`;
}
