import type { Row, SourceKind } from '../../core/change-event';
import { CdcCacheError } from '../../errors';
import type { ColumnType } from '../../keyspace';
import { BASE64 } from '../../keyspace/canonical-key-text';
import { decimalText, isoDate, timeOfDay, wallClock } from './convert-with-schema';

const DECIMAL_TEXT = /^-?\d+(?:\.\d+)?$/;
const DIGITS = /^-?\d+$/;
/** Fractional-second digits a column has when its DDL gives none. */
const DEFAULT_PRECISION: Readonly<Record<SourceKind, number>> = { postgres: 6, mysql: 0, dynamodb: 0 };

/**
 * Read the declared-type columns of a row written WITHOUT schemas, where Debezium's encoding cannot be told
 * from the value alone, into what the same event WITH schemas decodes to (convert-with-schema.ts): day counts
 * as `'YYYY-MM-DD'`, epoch units as wall clocks, times of day, unscaled decimal bytes as decimal text. Assumes
 * the connector defaults (`time.precision.mode=adaptive` / `adaptive_time_microseconds`,
 * `decimal.handling.mode=precise`): a `timestamp(p)` is milliseconds for p <= 3, microseconds above, p being
 * the declared precision or the database's default (PostgreSQL 6, MySQL/MariaDB 0). Returns the row itself
 * when nothing changes. Throws `CDC_DECODE_FAILED` when a decimal's bytes come without a declared scale.
 *
 * @example
 * decodeSchemalessColumns({ day: 19724 }, { day: { name: 'date' } }, 'postgres') // { day: '2024-01-02' }
 */
export function decodeSchemalessColumns(
  row: Row,
  types: Readonly<Record<string, ColumnType>>,
  kind: SourceKind,
): Row {
  let decoded: Record<string, unknown> | undefined;
  for (const column in types) {
    const value = row[column];
    if (value === null || value === undefined) continue;
    const converted = decodeColumn(value, types[column]!, kind, column);
    if (converted === value) continue;
    decoded ??= { ...row };
    decoded[column] = converted;
  }
  return decoded ?? row;
}

function decodeColumn(value: unknown, type: ColumnType, kind: SourceKind, column: string): unknown {
  const units = typeof value === 'number' || (typeof value === 'string' && DIGITS.test(value));
  switch (type.name) {
    case 'date':
      return typeof value === 'number' ? isoDate(value) : value;
    case 'time': {
      if (!units) return value;
      // MySQL/MariaDB times are always microseconds (adaptive_time_microseconds); PostgreSQL's follow the precision.
      const micro = kind !== 'postgres' || (type.precision ?? DEFAULT_PRECISION[kind]) > 3;
      return timeOfDay(value, micro ? 1_000_000 : 1_000);
    }
    case 'timestamp':
      if (!units) return value;
      return wallClock(value, (type.precision ?? DEFAULT_PRECISION[kind]) > 3 ? 1_000 : 1);
    case 'numeric':
    case 'float':
      return decodeDecimal(value, type, column);
    default:
      return value;
  }
}

function decodeDecimal(value: unknown, type: ColumnType, column: string): unknown {
  if (typeof value === 'object' && value !== null && 'scale' in value && 'value' in value) {
    // io.debezium.data.VariableScaleDecimal: a numeric without a fixed scale carries its own.
    const { scale, value: unscaled } = value as { scale: unknown; value: unknown };
    return decimalText(unscaled, Number(scale));
  }
  if (typeof value !== 'string') return value;
  if (type.scale !== undefined && BASE64.test(value)) return decimalText(value, type.scale);
  if (DECIMAL_TEXT.test(value)) return value;
  throw new CdcCacheError(
    'CDC_DECODE_FAILED',
    `column '${column}' holds decimal bytes ('${value.slice(0, 24)}') in an event without schemas: declare the column's scale, e.g. columns: { ${column}: 'numeric(12,2)' }, or enable schemas`,
    { details: { column } },
  );
}
