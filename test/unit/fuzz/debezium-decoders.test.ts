import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type { ChangeEvent, Row } from '../../../src/core/change-event';
import {
  createDebeziumDecoder,
  type DebeziumRecord,
  decodeDebeziumRecord,
} from '../../../src/sources/debezium';
import { debeziumRecord, mysqlEnvelope, pgEnvelope } from '../debezium/debezium-factories';
import { FUZZ_RUNS, fuzzStats, HUGE, type Outcome, outcome, reportFuzzStats } from './fuzz-support';

// Hostile Kafka records against both Debezium decoders: every input is decoded or rejected with a coded
// CdcCacheError, and the fast (projected, byte-scanning) decoder agrees with the full (JSON.parse) one.

const SELECTED = ['id', 'email', '__proto__', 'é', 'tags'];
const decoders = {
  full: decodeDebeziumRecord,
  all: createDebeziumDecoder({ columns: () => 'all' }),
  some: createDebeziumDecoder({ columns: () => SELECTED }),
};

/** Messages Debezium wrote in this project's integration runs, plus schemaless envelopes (the fast path's form). */
const SEEDS: readonly DebeziumRecord[] = [
  ...readdirSync(join(__dirname, '../debezium/fixtures'))
    .flatMap(
      (file) =>
        JSON.parse(readFileSync(join(__dirname, '../debezium/fixtures', file), 'utf8')) as {
          topic: string;
          partition: number;
          offset: string;
          key: string | null;
          value: string | null;
        }[],
    )
    .filter((fixture) => typeof fixture === 'object' && fixture !== null && 'value' in fixture)
    .map((fixture) => ({
      topic: fixture.topic,
      partition: fixture.partition,
      offset: fixture.offset,
      key: fixture.key === null ? null : Buffer.from(fixture.key),
      value: fixture.value === null ? null : Buffer.from(fixture.value),
    })),
  debeziumRecord(
    pgEnvelope({
      op: 'u',
      before: {
        id: 1,
        email: 'a@example.com',
        tags: [1, [2, { n: null }]],
        bio: 'a long text, longer than 24 bytes',
      },
    }),
    { id: 1, 'na\\me': 'x' },
  ),
  debeziumRecord(mysqlEnvelope()),
  // Integers beyond 2^53, at the top of a row and nested in arrays (as text: a JS literal would round them).
  debeziumRecord(
    JSON.stringify(pgEnvelope()).replace(
      '"after":{"id":1,',
      '"after":{"id":9007199254740993,"tags":[[9007199254740993]],',
    ),
  ),
];

/** Bytes that change a JSON message's structure when written over one of its bytes. */
const EDIT_BYTES = [...'"\\{}[],:0123456789.eE-+ntfu \n\t']
  .map((c) => c.charCodeAt(0))
  .concat([0x00, 0x1f, 0x7f, 0xc3, 0xff]);

const seed = fc.constantFrom(...SEEDS);
const truncated = fc.tuple(seed, fc.double({ min: 0, max: 1, noNaN: true })).map(([record, at]) => ({
  ...record,
  value: record.value?.subarray(0, Math.floor(record.value.length * at)) ?? null,
}));
/** Snippets that break JSON in the ways a scanner may miss: escapes, control characters, numbers, nesting. */
const SNIPPETS = [
  '\\',
  '\\q',
  '\\u12',
  '\\ud800',
  '\u0001',
  '\n',
  '"',
  '[',
  ']',
  '{',
  '}',
  ',',
  ':',
  '1e',
  '01',
  '-',
  '.5',
  '9007199254740993',
  '"__proto__":{"x":1},',
  'null',
  'tru',
];
const edited = fc
  .tuple(
    seed,
    fc.array(
      fc.tuple(
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.oneof(
          fc.constantFrom(...EDIT_BYTES),
          fc.integer({ min: 0, max: 255 }),
          fc.constantFrom(...SNIPPETS).map((snippet) => Buffer.from(snippet)),
        ),
      ),
      { minLength: 1, maxLength: 4 },
    ),
    fc.boolean(),
  )
  .map(([record, edits, onKey]) => {
    const target = onKey ? record.key : record.value;
    if (target === null || target.length === 0) return record;
    let bytes = Buffer.from(target);
    for (const [where, inString, edit] of edits) {
      // Half the edits land just inside a string or a name, where a byte scanner is most lenient.
      const quotes = inString ? [...bytes.keys()].filter((index) => bytes[index] === 0x22) : [];
      const at =
        quotes.length > 0
          ? quotes[Math.floor(where * (quotes.length - 1))]! + 1
          : Math.floor(where * (bytes.length - 1));
      // A byte overwrites one; a snippet is inserted.
      if (typeof edit === 'number') bytes[at] = edit;
      else bytes = Buffer.concat([bytes.subarray(0, at), edit, bytes.subarray(at)]);
    }
    return onKey ? { ...record, key: bytes } : { ...record, value: bytes };
  });
const randomBytes = fc
  .tuple(fc.uint8Array({ maxLength: 200 }), fc.option(fc.uint8Array({ maxLength: 40 })))
  .map(([value, key]) =>
    debeziumRecord(null, null, { value: Buffer.from(value), key: key ? Buffer.from(key) : null }),
  );

/** Unicode edge cases: lone surrogates, BOM, line separators, NUL, combining marks, astral characters. */
const oddText = fc.oneof(
  // Any UTF-16 code units, lone surrogates included (fc.string's 'binary' unit is far slower to generate).
  fc
    .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
    .map((units) => String.fromCharCode(...units)),
  fc.constantFrom(
    '\uD800',
    '\uDFFF',
    '\uFEFF',
    '\u2028\u2029',
    '\u0000',
    'e\u0301',
    '😀',
    '__proto__',
    'constructor',
    'toString',
    '',
  ),
);
const hugeText = fc
  .constantFrom(1_000, HUGE)
  .chain((size) => fc.constantFrom('x', '\\', '"', '0', 'é').map((c) => c.repeat(size)));
const bigNumber = fc.oneof(
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map((n) => ({ raw: n.toString() })),
  fc
    .constantFrom('1e400', '-0', '0.1e-400', '9007199254740993', '123456789012345678901234567890.5')
    .map((raw) => ({ raw })),
);
const nested = fc
  .integer({ min: 1, max: 3_000 })
  .map((depth) => ({ raw: `${'['.repeat(depth)}1${']'.repeat(depth)}` }));
const columnValue = fc.oneof(
  oddText,
  hugeText,
  bigNumber,
  nested,
  fc.jsonValue({ maxDepth: 3 }),
  fc.array(bigNumber, { maxLength: 3 }),
);

/** JSON text of a value, with `{ raw }` written as-is (numbers JSON.stringify cannot make, deep nesting). */
function jsonText(value: unknown): string {
  if (typeof value === 'object' && value !== null && 'raw' in value) return (value as { raw: string }).raw;
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  return JSON.stringify(value) ?? 'null';
}

/** An envelope with hostile names and values, duplicate members, and fields of the wrong type. */
const structured = fc
  .record({
    columns: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...SELECTED), oddText, hugeText), columnValue), {
      maxLength: 6,
    }),
    keyColumns: fc.array(fc.tuple(fc.oneof(fc.constantFrom('id', '__proto__'), oddText), columnValue), {
      maxLength: 3,
    }),
    op: fc.oneof(fc.constantFrom('c', 'u', 'd', 'r', 't', 'm'), oddText, fc.constant({ raw: '1' })),
    file: fc.oneof(fc.constant('mysql-bin.000003'), hugeText, fc.constantFrom(`${'1'.repeat(HUGE)}x`, '')),
    table: fc.oneof(fc.constant('users'), oddText, hugeText, fc.constant({ raw: '[]' })),
    connector: fc.constantFrom('postgresql', 'mysql', 'mariadb', 'oracle', 'toString', { raw: '7' }),
    duplicate: fc.boolean(),
  })
  .map(({ columns, keyColumns, op, file, table, connector, duplicate }) => {
    const object = (members: [string, unknown][]) =>
      `{${members.map(([name, value]) => `${JSON.stringify(name)}:${jsonText(value)}`).join(',')}}`;
    const image = object(columns);
    const source = object([
      ['connector', connector],
      ['db', 'inventory'],
      ['schema', 'public'],
      ['table', table],
      ['file', file],
      ['pos', 154],
      ['lsn', 42],
      ['ts_ms', 1],
    ]);
    const value = `{${duplicate ? '"op":"d",' : ''}"before":${image},"after":${image},"source":${source},"op":${jsonText(op)},"ts_ms":1}`;
    return debeziumRecord(value, null, { key: Buffer.from(object(keyColumns)) });
  });

/** Column schemas of the logical types the decoders convert, with scales and nesting that must be refused. */
const columnSchema = fc.oneof(
  fc.constantFrom(
    { type: 'int64' },
    { type: 'string' },
    { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } },
    { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: 'x' } },
    { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '99999' } },
    { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal' },
    { type: 'struct', name: 'io.debezium.data.VariableScaleDecimal', fields: [] },
    { type: 'int32', name: 'io.debezium.time.Date' },
    { type: 'int64', name: 'io.debezium.time.MicroTimestamp' },
    { type: 'int64', name: 'io.debezium.time.NanoTimestamp' },
    { type: 'string', name: 'io.debezium.time.ZonedTimestamp' },
    { type: 'int64', name: 'io.debezium.time.MicroTime' },
    { type: 'int32', name: 'org.apache.kafka.connect.data.Time' },
    { type: 'string', name: 'io.debezium.data.Enum' },
    { type: 'array', items: { type: 'int32', name: 'io.debezium.time.Date' } },
    { type: 'struct', fields: [{ type: 'int32', name: 'io.debezium.time.Date', field: 'd' }] },
    { type: 'struct', fields: [{ type: 'string', field: 's' }] },
  ),
  fc.constant(null),
);
/** Values a converter may choke on: scales, day counts and times out of range or fractional, base64 text. */
const logicalValue = fc.oneof(
  columnValue,
  fc.constantFrom(
    'BNI=',
    '+w==',
    '',
    { scale: 3, value: '+w==' },
    { scale: 1e9, value: 'AQ==' },
    { scale: 'x', value: 'AQ==' },
    { value: 'AQ==' },
    1e12,
    1.5,
    -1,
    20050,
    '2024-11-23T11:06:40.123456Z',
    { d: 1e12 },
    [1e12],
  ),
);
/** `{ schema, payload }` envelopes (the Connect default): hostile column schemas, duplicates, logical types out of place. */
const withSchema = fc
  .record({
    columns: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...SELECTED), oddText), columnSchema, logicalValue), {
      maxLength: 6,
    }),
    op: fc.constantFrom('c', 'u', 'd', 'r', 't'),
    imageName: fc.constantFrom(undefined, 'x.Value', 'io.debezium.time.Date'),
    sourceField: fc.constantFrom(
      { type: 'string', field: 'table' },
      { type: 'int64', name: 'io.debezium.time.Date', field: 'lsn' },
      { type: 'string', name: 'io.debezium.data.Enum', field: 'snapshot' },
    ),
    duplicateImage: fc.boolean(),
    keyDecimal: fc.boolean(),
    order: fc.boolean(),
  })
  .map(({ columns, op, imageName, sourceField, duplicateImage, keyDecimal, order }) => {
    const fields = columns.map(([field, schema]) => (schema === null ? { field } : { ...schema, field }));
    const image = { type: 'struct', optional: true, ...(imageName ? { name: imageName } : {}), fields };
    const envelopeSchema = {
      type: 'struct',
      fields: [
        { ...image, field: 'before' },
        { ...image, field: 'after' },
        ...(duplicateImage ? [{ ...image, field: 'after' }] : []),
        { type: 'struct', field: 'source', fields: [sourceField] },
        { type: 'string', field: 'op' },
      ],
    };
    const row = `{${columns.map(([name, , value]) => `${JSON.stringify(name)}:${jsonText(value)}`).join(',')}}`;
    const source = JSON.stringify({
      connector: 'postgresql',
      schema: 'public',
      table: 'users',
      lsn: 42,
      ts_ms: 1,
    });
    const payload = `{"before":${op === 'c' ? 'null' : row},"after":${op === 'd' ? 'null' : row},"source":${source},"op":"${op}","ts_ms":1}`;
    const schema = JSON.stringify(envelopeSchema);
    const value = order
      ? `{"schema":${schema},"payload":${payload}}`
      : `{"payload":${payload},"schema":${schema}}`;
    const keySchema = keyDecimal
      ? {
          type: 'struct',
          fields: [{ type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', field: 'id' }],
        }
      : { type: 'struct', fields: [{ type: 'int64', field: 'id' }] };
    const key = JSON.stringify({ schema: keySchema, payload: { id: keyDecimal ? 'BNI=' : 1 } });
    return debeziumRecord(value, null, { key: Buffer.from(key) });
  });

/** The full decoder's events with images cut to `selection`, as the projected decoder builds them. */
function cut(events: readonly ChangeEvent[], selection: readonly string[] | 'all'): ChangeEvent[] {
  const project = (row: Row | null): Row | null => {
    if (row === null || selection === 'all') return row;
    const kept: Record<string, unknown> = {};
    for (const name of selection) {
      if (Object.hasOwn(row, name))
        Object.defineProperty(kept, name, {
          value: row[name],
          enumerable: true,
          writable: true,
          configurable: true,
        });
    }
    return kept;
  };
  return events.map((event) => ({ ...event, before: project(event.before), after: project(event.after) }));
}

function label(record: DebeziumRecord): string {
  const value = record.value?.toString('utf8') ?? 'null';
  return `${value.length > 80 ? `${value.slice(0, 80)}… (${value.length} chars)` : value}`;
}

/** Decoded by all three, or rejected by all three with the same code; the events agree. */
function expectAgreement(record: DebeziumRecord): void {
  const name = label(record);
  const full = outcome(`full: ${name}`, () => decoders.full(record));
  const all = outcome(`all: ${name}`, () => decoders.all(record));
  const some = outcome(`some: ${name}`, () => decoders.some(record));
  try {
    expect(summary(all, 'all')).toBe(summary(full, 'all'));
    // Forms the projected decoder hands to the full one (flattened, with schemas) keep whole images.
    expect([summary(full, SELECTED), summary(full, 'all')]).toContain(summary(some, 'none'));
    for (const result of [full, all, some]) {
      if ('ok' in result)
        for (const event of result.ok)
          for (const row of [event.key, event.before, event.after]) {
            if (row !== null) expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
          }
    }
  } catch (error) {
    fuzzStats.disagreements++;
    throw error;
  }
}

/** Events (cut to a selection) or the error code; messages may differ in wording, codes may not. */
function summary(result: Outcome<ChangeEvent[]>, selection: readonly string[] | 'all' | 'none'): string {
  if ('code' in result) return `code ${result.code}`;
  return fingerprint(selection === 'none' ? result.ok : cut(result.ok, selection));
}

/**
 * A value as text, members sorted and undefined members left out (as toEqual compares), built with a stack:
 * values nested thousands deep would overflow a recursive comparison.
 */
function fingerprint(root: unknown): string {
  const out: string[] = [];
  const pending: unknown[] = [root];
  const CLOSE = Symbol('close');
  while (pending.length > 0) {
    const value = pending.pop();
    if (value === CLOSE) out.push(')');
    else if (value instanceof Date) out.push(`date ${value.getTime()}`);
    else if (Array.isArray(value)) {
      out.push('[');
      pending.push(CLOSE, ...[...value].reverse());
    } else if (typeof value === 'object' && value !== null) {
      const names = Object.keys(value)
        .filter((name) => (value as Record<string, unknown>)[name] !== undefined)
        .sort();
      out.push('{');
      pending.push(CLOSE);
      for (const name of names.reverse())
        pending.push((value as Record<string, unknown>)[name], `key ${JSON.stringify(name)}`);
    } else if (typeof value === 'string' && value.startsWith('key ')) out.push(value);
    else
      out.push(
        `${typeof value} ${Object.is(value, -0) ? '-0' : typeof value === 'string' ? JSON.stringify(value) : String(value)}`,
      );
  }
  return out.join(' ');
}

describe('Debezium decoders under hostile input', () => {
  afterAll(() => reportFuzzStats('debezium decoders'));

  it('decode or reject random bytes with a code', () => {
    fc.assert(fc.property(randomBytes, expectAgreement), { numRuns: FUZZ_RUNS });
  });

  it('agree on truncated captured messages', () => {
    fc.assert(fc.property(truncated, expectAgreement), { numRuns: FUZZ_RUNS });
  });

  it('agree on byte-edited captured messages (values and keys)', () => {
    fc.assert(fc.property(edited, expectAgreement), { numRuns: FUZZ_RUNS * 3 });
  });

  it('agree on envelopes with hostile names and values, duplicate members and wrong types', () => {
    fc.assert(fc.property(structured, expectAgreement), { numRuns: FUZZ_RUNS });
  });

  it('agree on schema-wrapped envelopes with hostile schemas and logical values', () => {
    fc.assert(fc.property(withSchema, expectAgreement), { numRuns: FUZZ_RUNS * 3 });
  });
});
