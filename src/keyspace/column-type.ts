/** The column types a keyspace may declare for a key column (`sources[].columns`). */
export const COLUMN_TYPES = [
  'integer',
  'bigint',
  'numeric',
  'float',
  'boolean',
  'text',
  'uuid',
  'date',
  'time',
  'timestamp',
  'timestamptz',
  'bytes',
] as const;

/** A declared column type name. */
export type ColumnTypeName = (typeof COLUMN_TYPES)[number];

/**
 * A declared column type, parsed. `precision` (fractional-second digits of `time(p)`/`timestamp(p)`) and
 * `scale` (of `numeric(p,s)`) are only needed to read Debezium events written WITHOUT schemas, whose
 * encoding depends on them (milliseconds vs microseconds; unscaled decimal bytes).
 */
export interface ColumnType {
  readonly name: ColumnTypeName;
  /** Fractional-second digits, when declared (`timestamp(3)`). */
  readonly precision?: number;
  /** Digits after the decimal point, when declared (`numeric(12,2)`; `numeric(12)` is scale 0). */
  readonly scale?: number;
}

const WITH_ARGUMENTS = /^([a-z]+)\s*(?:\(\s*(\d+)\s*(?:,\s*(-?\d+)\s*)?\))?$/;
const NAMES: ReadonlySet<string> = new Set(COLUMN_TYPES);

/**
 * Parse a declared column type such as `'date'`, `'numeric(12,2)'` or `'timestamp(3)'`. Returns an error
 * message naming the accepted forms when the text is not one.
 *
 * @example
 * parseColumnType('numeric(12,2)') // { type: { name: 'numeric', scale: 2 } }
 * parseColumnType('timestamp(3)') // { type: { name: 'timestamp', precision: 3 } }
 */
export function parseColumnType(text: unknown): { type: ColumnType } | { error: string } {
  const expected = `expected one of ${COLUMN_TYPES.join(', ')} (numeric(p,s), time(p), timestamp(p) and timestamptz(p) may give a scale or precision)`;
  if (typeof text !== 'string') return { error: expected };
  const match = WITH_ARGUMENTS.exec(text.trim().toLowerCase());
  const name = match?.[1];
  if (!match || !name || !NAMES.has(name)) return { error: `'${String(text)}': ${expected}` };
  const first = match[2] === undefined ? undefined : Number(match[2]);
  const second = match[3] === undefined ? undefined : Number(match[3]);
  const type = name as ColumnTypeName;
  if (first === undefined) return { type: { name: type } };
  if (type === 'numeric') {
    return { type: { name: type, scale: second ?? 0 } };
  }
  if ((type === 'time' || type === 'timestamp' || type === 'timestamptz') && second === undefined) {
    if (first > 9) return { error: `'${text}': a fractional-second precision is 0 to 9` };
    return { type: { name: type, precision: first } };
  }
  return { error: `'${text}': only numeric(p,s), time(p), timestamp(p) and timestamptz(p) take arguments` };
}
