import fc from 'fast-check';
import type { ChangeEvent, Row } from '../../../src/core/change-event';
import { keyspaceColumns, keyspaceFromData } from '../../../src/keyspace';
import {
  createDebeziumDecoder,
  type DebeziumRecord,
  decodeDebeziumRecord,
} from '../../../src/sources/debezium';
import { debeziumRecord, mysqlEnvelope, pgEnvelope } from './debezium-factories';

// The projected decoder reads envelopes from their bytes and must give exactly what the full decoder gives,
// restricted to the selected columns; anything it does not handle falls back to the full decoder.

type Selection = readonly string[] | 'all' | undefined;

const COLUMNS = ['id', 'email', 'tenant_id', 'name', 'é', 'a"b', 'back\\slash', 'tab\tcol', 'source', 'op'];

/** The full decoder's event, images cut down to `selection` as the projected decoder builds them. */
function projected(events: ChangeEvent[], selection: Selection): ChangeEvent[] {
  const cut = (row: Row | null): Row | null => {
    if (row === null || selection === 'all') return row;
    const kept: Record<string, unknown> = {};
    for (const name of selection ?? []) if (name in row) kept[name] = row[name];
    return kept;
  };
  return events.map((event) => ({ ...event, before: cut(event.before), after: cut(event.after) }));
}

function outcome(decode: (record: DebeziumRecord) => ChangeEvent[], record: DebeziumRecord) {
  try {
    return { events: decode(record) };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/**
 * The projected decoder fails like the full one, or gives its events cut to the selection; with
 * `fallback`, whole images are accepted too (forms it hands to the full decoder, like flattened messages).
 */
function expectSameAsFull(record: DebeziumRecord, selection: Selection, fallback = false): void {
  const fast = outcome(createDebeziumDecoder({ columns: () => selection }), record);
  const full = outcome(decodeDebeziumRecord, record);
  if ('error' in full) expect(fast).toEqual(full);
  else if (fallback) expect([full, { events: projected(full.events ?? [], selection) }]).toContainEqual(fast);
  else expect(fast).toEqual({ events: projected(full.events ?? [], selection) });
}

const scalar = fc.oneof(
  fc.string({ unit: 'binary' }),
  // Long enough for the scanner's native-search path, with escaped quotes and backslashes in it.
  fc.string({ unit: fc.constantFrom('a', '"', '\\', '\n', 'é'), minLength: 20, maxLength: 120, size: 'max' }),
  fc.constantFrom('', 'a"quote', 'back\\slash', 'new\nline', '\u0000', 'snow☃', '\uD83D\uDE00', '\\u0041'),
  fc.integer(),
  fc.maxSafeInteger(),
  fc.constantFrom(9007199254740993n, -12345678901234567890n, 2n ** 63n - 1n).map((big) => ({ big })),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.integer(), { maxLength: 3 }),
  fc.record({ wkb: fc.string(), srid: fc.integer() }),
);
const row = fc.dictionary(fc.constantFrom(...COLUMNS), scalar, { maxKeys: COLUMNS.length });
const selection: fc.Arbitrary<Selection> = fc.oneof(
  fc.subarray([...COLUMNS]),
  fc.constant('all' as const),
  fc.constant(undefined),
);

/** JSON text with bigints written as bare integer literals, as Debezium writes int64 columns. */
function toJson(value: unknown, indent: number): string {
  return JSON.stringify(
    value,
    (_key, item) => (item && typeof item === 'object' && 'big' in item ? `@@${item.big}@@` : item),
    indent,
  ).replace(/"@@(-?\d+)@@"/g, '$1');
}

const envelope = fc.record({
  connector: fc.constantFrom('postgresql', 'mysql', 'mariadb'),
  op: fc.constantFrom('c', 'u', 'd', 'r', 't', 'm'),
  before: fc.option(row, { nil: null }),
  after: fc.option(row, { nil: null }),
  indent: fc.constantFrom(0, 0, 2),
  lsn: fc.nat(),
  key: fc.oneof(
    row,
    fc.constant(null),
    fc.integer(),
    row.map((payload) => ({ schema: { type: 'struct', fields: [], optional: false }, payload })),
  ),
});

function message(input: typeof envelope extends fc.Arbitrary<infer T> ? T : never): string {
  const base = input.connector === 'postgresql' ? pgEnvelope() : mysqlEnvelope();
  const source = { ...(base['source'] as object), connector: input.connector, lsn: input.lsn };
  return toJson({ ...base, op: input.op, before: input.before, after: input.after, source }, input.indent);
}

describe('createDebeziumDecoder (projected images)', () => {
  it('gives the full decoder’s events, cut to the selected columns, for any envelope', () => {
    fc.assert(
      fc.property(envelope, selection, (input, columns) => {
        const key = input.key === null ? null : Buffer.from(toJson(input.key, input.indent));
        expectSameAsFull(debeziumRecord(message(input), null, { key }), columns);
      }),
      { numRuns: 500 },
    );
  });

  it('fails exactly as the full decoder on a message cut short anywhere', () => {
    fc.assert(
      fc.property(envelope, fc.double({ min: 0, max: 1, noNaN: true }), (input, at) => {
        const text = message(input);
        expectSameAsFull(debeziumRecord(text.slice(0, Math.floor(at * text.length))), ['id', 'email']);
      }),
      { numRuns: 300 },
    );
  });

  it('gives the full decoder’s result for any JSON value', () => {
    fc.assert(
      fc.property(fc.json(), (text) => expectSameAsFull(debeziumRecord(text), ['id'], true)),
      { numRuns: 300 },
    );
  });

  it.each([
    ['garbage bytes', '\u0000\u00ff{not json'],
    [
      'a schema-wrapped message',
      JSON.stringify({ schema: { type: 'struct', fields: [] }, payload: pgEnvelope() }),
    ],
    ['a flattened message', JSON.stringify({ id: 1, email: 'a@example.com', __op: 'u', __table: 'users' })],
    ['an unknown op', JSON.stringify(pgEnvelope({ op: 'x' }))],
    ['an image that is a string', JSON.stringify(pgEnvelope({ after: 'oops' }))],
    [
      'a source without table',
      JSON.stringify(pgEnvelope({ source: { connector: 'postgresql', schema: 'public' } })),
    ],
    ['an escaped field name', JSON.stringify(pgEnvelope()).replace('"op"', '"\\u006fp"')],
    ['trailing garbage', `${JSON.stringify(pgEnvelope())} x`],
    ['a duplicated member (the last wins)', JSON.stringify(pgEnvelope()).replace('{', '{"op":"d",')],
  ])('matches the full decoder on %s', (_name, text) => {
    expectSameAsFull(debeziumRecord(text), ['id', 'email'], true);
  });

  it.each([
    ['a malformed escape', '"\\q"'],
    ['a raw control character in a long string', `"${'x'.repeat(40)}\u0001"`],
    ['a malformed number', '1.'],
    ['a nested value that is not JSON', '[1,,2]'],
    ['mismatched brackets', '[1}'],
  ])('rejects %s in a column it does not read, as the full decoder does', (_name, bio) => {
    const text = JSON.stringify(pgEnvelope({ after: { id: 7, email: 'a@example.com', bio: 'x' } })).replace(
      '"bio":"x"',
      `"bio":${bio}`,
    );
    const fast = () => createDebeziumDecoder({ columns: () => ['id', 'email'] })(debeziumRecord(text));
    expect(() => decodeDebeziumRecord(debeziumRecord(text))).toThrow(/not JSON/);
    expect(fast).toThrow(/not JSON/);
    expect(fast).toThrow(expect.objectContaining({ code: 'CDC_DECODE_FAILED' }));
  });

  it.each([
    ['a column name', '"em\\qail"'],
    ['a source field name', null],
  ])('rejects a malformed escape in %s with a coded error', (_name, column) => {
    const envelope = JSON.stringify(pgEnvelope({ after: { id: 7, email: 'a@example.com' } }));
    const text =
      column === null ? envelope.replace('"table"', '"ta\\qble"') : envelope.replace('"email"', column);
    for (const decode of [decodeDebeziumRecord, createDebeziumDecoder({ columns: () => ['id', 'email'] })]) {
      expect(() => decode(debeziumRecord(text))).toThrow(
        expect.objectContaining({ code: 'CDC_DECODE_FAILED' }),
      );
    }
  });

  it('rejects a malformed escape in a record key name with a coded error', () => {
    const record = { ...debeziumRecord(JSON.stringify(pgEnvelope())), key: Buffer.from('{"i\\qd":1}') };
    for (const decode of [decodeDebeziumRecord, createDebeziumDecoder({ columns: () => ['id'] })]) {
      expect(() => decode(record)).toThrow(
        expect.objectContaining({
          code: 'CDC_DECODE_FAILED',
          details: expect.objectContaining({ offset: record.offset }),
        }),
      );
    }
  });

  it('keeps a __proto__ member of a record key as a plain field, as JSON.parse does', () => {
    const record = {
      ...debeziumRecord(JSON.stringify(pgEnvelope())),
      key: Buffer.from('{"__proto__":{"polluted":1},"id":1}'),
    };
    const fast = createDebeziumDecoder({ columns: () => ['id'] })(record)[0]!.key!;
    const full = decodeDebeziumRecord(record)[0]!.key!;
    for (const key of [fast, full]) {
      expect(Object.getPrototypeOf(key)).toBe(Object.prototype);
      expect(Object.keys(key)).toEqual(['__proto__', 'id']);
      expect((key as Record<string, unknown>)['polluted']).toBeUndefined();
    }
  });

  it('keeps integers beyond 2^53 exact inside arrays, in both decoders', () => {
    const text = JSON.stringify(pgEnvelope({ after: { id: 7, tags: [1] } })).replace(
      '"tags":[1]',
      '"tags":[[9007199254740993]]',
    );
    const fast = createDebeziumDecoder({ columns: () => ['id', 'tags'] })(debeziumRecord(text))[0]!.after;
    const full = decodeDebeziumRecord(debeziumRecord(text))[0]!.after;
    expect(fast).toEqual({ id: 7, tags: [['9007199254740993']] });
    expect(full).toEqual(fast);
  });

  it('keeps a bounded number of table projections, however many table names the stream carries', () => {
    const asked: string[] = [];
    const decode = createDebeziumDecoder({
      columns: (table) => {
        asked.push(table);
        return ['id'];
      },
    });
    const record = (table: string) =>
      debeziumRecord(pgEnvelope({ source: { ...(pgEnvelope()['source'] as object), table } }));
    decode(record('first'));
    for (let index = 0; index < 12_000; index++) decode(record(`t${index}`));
    decode(record('first'));
    // Forgotten and compiled again: the cache was emptied instead of growing past its bound.
    expect(asked.filter((table) => table === 'public.first')).toHaveLength(2);
  });

  it('builds only the columns a keyspace reads, and no image for tables outside it', () => {
    const keyspace = keyspaceFromData({
      entities: {
        user: {
          key: 'user:{id}',
          ttl: '5m',
          tags: ['tenant:{tenant}'],
          sources: [{ table: 'public.users', fields: { tenant: 'tenant_id' } }],
        },
        profile: {
          key: 'profile:{id}',
          ttl: '5m',
          mode: 'refresh',
          fields: ['id', 'name'],
          sources: [{ table: 'public.users' }],
        },
        order: { key: 'order:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.orders' }] },
      },
    });
    const columns = keyspaceColumns(keyspace);
    expect(columns('public.users')).toEqual(['id', 'tenant_id', 'name']);
    expect(columns('public.orders')).toBe('all');
    expect(columns('public.audit')).toBeUndefined();

    const decode = createDebeziumDecoder({ columns });
    const after = { id: 1, email: 'a@example.com', tenant_id: 3, name: 'Ann', bio: 'long' };
    expect(decode(debeziumRecord(pgEnvelope({ after })))[0]?.after).toEqual({
      id: 1,
      tenant_id: 3,
      name: 'Ann',
    });
    const audit = pgEnvelope({ after, source: { ...(pgEnvelope()['source'] as object), table: 'audit' } });
    expect(decode(debeziumRecord(audit))[0]).toMatchObject({
      table: 'public.audit',
      op: 'create',
      after: {},
    });
  });
});
