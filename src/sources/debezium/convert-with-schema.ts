import { CdcCacheError } from '../../errors';

/** A Kafka Connect schema as the JSON converter writes it (`schemas.enable=true`). */
export interface ConnectSchema {
  readonly type: string;
  readonly optional?: boolean;
  /** The logical type, e.g. `org.apache.kafka.connect.data.Decimal` or `io.debezium.time.MicroTimestamp`. */
  readonly name?: string;
  readonly version?: number;
  readonly parameters?: Readonly<Record<string, string>>;
  /** The field name, when this schema is a field of a struct. */
  readonly field?: string;
  readonly fields?: readonly ConnectSchema[];
  readonly items?: ConnectSchema;
}

type LogicalConverter = (value: unknown, schema: ConnectSchema) => unknown;

const MS_PER_DAY = 86_400_000;
/** Deeper schemas are rejected: real tables nest a few levels; thousands would overflow the stack. */
const MAX_SCHEMA_DEPTH = 64;
/** PostgreSQL's widest numeric scale; a larger one is a hostile message (and would build huge strings). */
const MAX_DECIMAL_SCALE = 16_383;

/**
 * Debezium's encodings of the column types that can feed cache keys, turned back into values that read
 * the same whatever the process's time zone: decimals as exact decimal strings (`'12.50'`, as node-postgres
 * and mysql2 give them), timestamps with a zone as `Date`, timestamps WITHOUT one as their wall clock
 * `'YYYY-MM-DDTHH:MM:SS.mmm'` (Debezium encodes the wall clock as if it were UTC; a Date would move it by
 * the process's offset), dates as `'YYYY-MM-DD'`, times as `'HH:MM:SS.ffffff'`.
 */
const LOGICAL_CONVERTERS: Readonly<Record<string, LogicalConverter>> = {
  'org.apache.kafka.connect.data.Decimal': (value, schema) =>
    decimalText(value, Number(schema.parameters?.['scale'] ?? 0)),
  'io.debezium.data.VariableScaleDecimal': (value) => {
    if (typeof value !== 'object' || value === null) return value;
    const { scale, value: unscaled } = value as { scale?: unknown; value?: unknown };
    return decimalText(unscaled, Number(scale ?? 0));
  },
  'org.apache.kafka.connect.data.Timestamp': (value) => wallClock(value, 1),
  'io.debezium.time.Timestamp': (value) => wallClock(value, 1),
  'io.debezium.time.MicroTimestamp': (value) => wallClock(value, 1_000),
  'io.debezium.time.NanoTimestamp': (value) => wallClock(value, 1_000_000),
  'io.debezium.time.ZonedTimestamp': (value) => (typeof value === 'string' ? new Date(value) : value),
  'io.debezium.time.IsoTimestamp': (value) => (typeof value === 'string' ? new Date(value) : value),
  'org.apache.kafka.connect.data.Date': (value) => isoDate(value),
  'io.debezium.time.Date': (value) => isoDate(value),
  'org.apache.kafka.connect.data.Time': (value) => timeOfDay(value, 1_000),
  'io.debezium.time.Time': (value) => timeOfDay(value, 1_000),
  'io.debezium.time.MicroTime': (value) => timeOfDay(value, 1_000_000),
  'io.debezium.time.NanoTime': (value) => timeOfDay(value, 1_000_000_000),
};

/**
 * Decode a value with its Kafka Connect schema, in place where it is a struct: logical types are turned
 * into driver-like values (see above); everything else is returned as the JSON converter wrote it.
 *
 * @example
 * convertWithSchema('BNI=', { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } }) // '12.34'
 */
export function convertWithSchema(value: unknown, schema: ConnectSchema | undefined): unknown {
  return convert(value, schema, 0);
}

function convert(value: unknown, schema: ConnectSchema | undefined, depth: number): unknown {
  if (value === null || value === undefined || typeof schema !== 'object' || schema === null) return value;
  if (depth > MAX_SCHEMA_DEPTH) {
    throw new CdcCacheError(
      'CDC_DECODE_FAILED',
      `the Kafka Connect schema nests deeper than ${MAX_SCHEMA_DEPTH} levels`,
    );
  }
  if (typeof schema.name === 'string' && Object.hasOwn(LOGICAL_CONVERTERS, schema.name)) {
    return LOGICAL_CONVERTERS[schema.name]!(value, schema);
  }
  if (schema.type === 'struct' && Array.isArray(schema.fields) && typeof value === 'object') {
    const struct = value as Record<string, unknown>;
    for (const field of schema.fields) {
      // Own members only: a field named `__proto__` or `toString` must not reach Object.prototype.
      if (typeof field?.field !== 'string' || !Object.hasOwn(struct, field.field) || !needsConversion(field))
        continue;
      const current = struct[field.field];
      if (current !== null && current !== undefined) struct[field.field] = convert(current, field, depth + 1);
    }
    return struct;
  }
  if (schema.type === 'array' && schema.items && Array.isArray(value) && needsConversion(schema.items)) {
    return value.map((item) => convert(item, schema.items, depth + 1));
  }
  return value;
}

/**
 * Is `name` a logical type whose values convertWithSchema changes?
 *
 * @example
 * convertsValues('io.debezium.time.Date') // true
 */
export function convertsValues(name: unknown): boolean {
  return typeof name === 'string' && Object.hasOwn(LOGICAL_CONVERTERS, name);
}

function needsConversion(schema: ConnectSchema): boolean {
  return (
    (typeof schema.name === 'string' && Object.hasOwn(LOGICAL_CONVERTERS, schema.name)) ||
    schema.type === 'struct' ||
    schema.type === 'array'
  );
}

/**
 * Kafka Connect's decimal: the unscaled value as big-endian two's complement bytes (base64 in JSON).
 *
 * @example
 * decimalText('BNI=', 2) // '12.34'
 */
export function decimalText(unscaled: unknown, scale: number): unknown {
  if (typeof unscaled === 'number' || typeof unscaled === 'bigint') {
    // `decimal.format=NUMERIC` on the JSON converter writes the decimal itself as a number.
    return typeof unscaled === 'number' && scale > 0 && scale <= 20
      ? unscaled.toFixed(scale)
      : String(unscaled);
  }
  if (typeof unscaled !== 'string') return unscaled;
  if (!Number.isInteger(scale) || Math.abs(scale) > MAX_DECIMAL_SCALE) {
    throw new CdcCacheError(
      'CDC_DECODE_FAILED',
      `a decimal's scale is not an integer within ±${MAX_DECIMAL_SCALE}`,
    );
  }
  const bytes = Buffer.from(unscaled, 'base64');
  // One hex parse: shifting in a byte at a time is quadratic in the value's length.
  let integer = bytes.length === 0 ? 0n : BigInt(`0x${bytes.toString('hex')}`);
  if (bytes.length > 0 && (bytes[0]! & 0x80) !== 0) integer -= 1n << BigInt(bytes.length * 8);
  return formatScaled(integer, scale);
}

function formatScaled(integer: bigint, scale: number): string {
  if (scale <= 0) return (integer * 10n ** BigInt(-scale)).toString();
  const negative = integer < 0n;
  const digits = (negative ? -integer : integer).toString().padStart(scale + 1, '0');
  const point = digits.length - scale;
  return `${negative ? '-' : ''}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * A timestamp without time zone, encoded as units since the epoch of its wall clock read as UTC, as that
 * wall clock `'YYYY-MM-DDTHH:MM:SS.mmm'` (the canonical key text of a timestamp; see canonical-key-text.ts).
 *
 * @example
 * wallClock(1732360000123456, 1_000) // '2024-11-23T11:06:40.123'
 */
export function wallClock(value: unknown, unitsPerMs: number): unknown {
  let ms: number | undefined;
  // An int64 beyond 2^53 (nanoseconds since the epoch) arrives as a decimal string from parseJson.
  if (typeof value === 'string' && /^-?\d+$/.test(value)) ms = floorDiv(BigInt(value), BigInt(unitsPerMs));
  else if (typeof value === 'bigint') ms = floorDiv(value, BigInt(unitsPerMs));
  else if (typeof value === 'number' && Number.isFinite(value)) ms = Math.floor(value / unitsPerMs);
  if (ms === undefined) return value;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? value : date.toISOString().slice(0, -1);
}

/** Division rounding toward minus infinity: a wall clock before 1970 keeps its millisecond. */
function floorDiv(value: bigint, divisor: bigint): number {
  const quotient = value / divisor;
  return Number(value % divisor < 0n ? quotient - 1n : quotient);
}

/**
 * Debezium's `Date`: days since the epoch, as `'YYYY-MM-DD'`.
 *
 * @example
 * isoDate(19724) // '2024-01-02'
 */
export function isoDate(days: unknown): unknown {
  if (typeof days !== 'number') return days;
  const date = new Date(days * MS_PER_DAY);
  // Beyond a Date's range (PostgreSQL's 'infinity' dates, a hostile count): kept as written, like wallClock.
  return Number.isNaN(date.getTime()) ? days : date.toISOString().slice(0, 10);
}

/**
 * A time of day in units since midnight, as `'HH:MM:SS[.ffffff]'`.
 *
 * @example
 * timeOfDay(3_723_500_000, 1_000_000) // '01:02:03.5'
 */
export function timeOfDay(value: unknown, unitsPerSecond: number): unknown {
  if (typeof value === 'string' && /^\d+$/.test(value)) return timeOfDay(BigInt(value), unitsPerSecond);
  if (typeof value !== 'number' && typeof value !== 'bigint') return value;
  // A fraction of a unit is not a time Debezium writes (and BigInt would throw on it): kept as written.
  if (typeof value === 'number' && !Number.isInteger(value)) return value;
  const units = BigInt(value);
  const perSecond = BigInt(unitsPerSecond);
  const seconds = Number(units / perSecond);
  const fraction = units % perSecond;
  const clock = [Math.floor(seconds / 3600), Math.floor(seconds / 60) % 60, seconds % 60]
    .map((part) => String(part).padStart(2, '0'))
    .join(':');
  if (fraction === 0n) return clock;
  const width = String(unitsPerSecond).length - 1;
  return `${clock}.${fraction.toString().padStart(width, '0').replace(/0+$/, '')}`;
}
