/** Type OIDs of the built-in types whose text form is converted (pg_type.oid; stable across versions). */
const OID = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  oid: 26,
  float4: 700,
  float8: 701,
  timestamp: 1114,
  timestamptz: 1184,
} as const;

const TIMESTAMP =
  /^(\d{4,})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?( BC)?$/;

/**
 * Turn one pgoutput text-format column value into the value the Debezium decoder yields for the same
 * column (with the JSON converter's schemas): integers as numbers (beyond 2^53 as exact decimal text),
 * floats as numbers, booleans as booleans, `timestamp`/`timestamptz` as a `Date` (millisecond precision,
 * like Debezium's micro-timestamps once converted), and every other type as PostgreSQL's own text
 * (`numeric` '12.50', `date` '2024-01-02', `time` '03:04:05.25', `uuid`, `text`, ...), which is what the
 * Debezium decoder gives for those. Key rendering then produces the same key on both paths.
 *
 * The replication connection must use `DateStyle=ISO` and `TimeZone=UTC` (the stream sets both), so the
 * text does not depend on the server's or the session's settings.
 *
 * @example
 * pgoutputValue(23, '42') // 42
 * pgoutputValue(16, 't') // true
 * pgoutputValue(1184, '2024-01-02 03:04:05.123456+00') // new Date('2024-01-02T03:04:05.123Z')
 */
export function pgoutputValue(typeOid: number, text: string): unknown {
  switch (typeOid) {
    case OID.bool:
      return text === 't' ? true : text === 'f' ? false : text;
    case OID.int2:
    case OID.int4:
    case OID.int8:
    case OID.oid: {
      const value = Number(text);
      return Number.isSafeInteger(value) ? value : text;
    }
    case OID.float4:
    case OID.float8: {
      const value = Number(text);
      return Number.isNaN(value) && text !== 'NaN' ? text : value;
    }
    case OID.timestamp:
    case OID.timestamptz:
      return timestampValue(text) ?? text;
    default:
      return text;
  }
}

/** `YYYY-MM-DD HH:MM:SS[.ffffff][+HH[:MM[:SS]]][ BC]` as a Date; undefined for `infinity` and the like. */
function timestampValue(text: string): Date | undefined {
  const match = TIMESTAMP.exec(text);
  if (!match) return undefined;
  const [
    ,
    year,
    month,
    day,
    hour,
    minute,
    second,
    fraction,
    sign,
    offsetHours,
    offsetMinutes,
    offsetSeconds,
    bc,
  ] = match;
  // Year 1 BC is astronomical year 0.
  const fullYear = bc ? 1 - Number(year) : Number(year);
  const date = new Date(0);
  date.setUTCFullYear(fullYear, Number(month) - 1, Number(day));
  date.setUTCHours(
    Number(hour),
    Number(minute),
    Number(second),
    Number((fraction ?? '').padEnd(3, '0').slice(0, 3)),
  );
  if (sign) {
    const offsetMs =
      (Number(offsetHours) * 3600 + Number(offsetMinutes ?? 0) * 60 + Number(offsetSeconds ?? 0)) * 1000;
    date.setTime(date.getTime() - (sign === '-' ? -offsetMs : offsetMs));
  }
  return date;
}
