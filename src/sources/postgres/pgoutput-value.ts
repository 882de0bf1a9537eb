import { canonicalKeyText } from '../../keyspace';

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

/**
 * Turn one pgoutput text-format column value into the value the Debezium decoder yields for the same
 * column (with the JSON converter's schemas): integers as numbers (beyond 2^53 as exact decimal text),
 * floats as numbers, booleans as booleans, `timestamptz` as a `Date`, `timestamp` (no zone) as its wall
 * clock `'YYYY-MM-DDTHH:MM:SS.mmm'` (both through the one canonical key text), and every other type as
 * PostgreSQL's own text (`numeric` '12.50', `date` '2024-01-02', `time` '03:04:05.25', `uuid`, `text`, ...),
 * which is what the Debezium decoder gives for those. Keys then render the same on both paths.
 *
 * The replication connection must use `DateStyle=ISO` and `TimeZone=UTC` (the stream sets both), so the
 * text does not depend on the server's or the session's settings.
 *
 * @example
 * pgoutputValue(23, '42') // 42
 * pgoutputValue(16, 't') // true
 * pgoutputValue(1184, '2024-01-02 03:04:05.123456+00') // new Date('2024-01-02T03:04:05.123Z')
 * pgoutputValue(1114, '2024-01-02 03:04:05.123456') // '2024-01-02T03:04:05.123'
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
      return canonicalOrText(text, 'timestamp');
    case OID.timestamptz: {
      const iso = canonicalOrText(text, 'timestamptz');
      return iso === text ? text : new Date(iso);
    }
    default:
      return text;
  }
}

/** The canonical text of a timestamp; PostgreSQL's own text for what has none (`infinity`, BC dates). */
function canonicalOrText(text: string, name: 'timestamp' | 'timestamptz'): string {
  try {
    return canonicalKeyText(text, { name }) ?? text;
  } catch {
    return text;
  }
}
