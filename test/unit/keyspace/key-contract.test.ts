// The document client (@aws-sdk/lib-dynamodb) unmarshalls with util-dynamodb: the same NumberValue.
import { NumberValueImpl as NumberValue } from '@aws-sdk/util-dynamodb';
import fc from 'fast-check';
import Redis from 'ioredis';
import { planActions } from '../../../src/core/plan-actions';
import { defineKeyspace, type Keyspace, renderKeyTemplate, tagKey } from '../../../src/keyspace';
import { keyspaceColumnTypes } from '../../../src/keyspace/keyspace-column-types';
import { keyspaceColumns } from '../../../src/keyspace/keyspace-columns';
import { createCache } from '../../../src/sdk/create-cache';
import { createDebeziumDecoder } from '../../../src/sources/debezium/decode-debezium-record';
import { decodeStreamRecord } from '../../../src/sources/dynamodb/decode-stream-record';
import { hostileString, hostileKeyValue as hostileValue } from '../../support/hostile-key-values';

// The key contract: the key a reader fills (SDK keyOf, with what its driver returns) is byte for byte the
// key the worker invalidates (planner, from the change event's encoding), and no row value ever names a key
// inside the internal namespace `<prefix>_cc:`.

const RESERVED = '_cc:';
/** keyOf needs no connection: a client that never connects, shared (a cache never closes a client it was given). */
const idleRedis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
afterAll(() => idleRedis.disconnect());

function sdkKey(keyspace: Keyspace, prefix: string, entity: string, params: Record<string, unknown>): string {
  const cache = createCache({ redis: idleRedis, keyspace, prefix });
  // biome-ignore lint/suspicious/noExplicitAny: the keyspace is built at run time, its params are untyped.
  return cache.keyOf(entity as never, params as any);
}

function workerDeleteKeys(keyspace: Keyspace, prefix: string, row: Record<string, unknown>) {
  const [plan] = planActions(
    [
      {
        source: 'postgres',
        table: 'public.t',
        op: 'delete',
        before: row,
        after: null,
        key: null,
        version: '',
        committedAt: null,
        position: null,
      },
    ],
    { keyspace, prefix },
  );
  if (plan?.status !== 'planned') throw new Error(`not planned: ${JSON.stringify(plan)}`);
  return plan.actions;
}

/** A template of 1 to 4 segments, each a literal or a placeholder, joined by random separators. */
const templateShape = fc
  .array(fc.oneof(fc.constantFrom('user', '_cc', '_x', 'a-b', 'é', ''), fc.constant(null)), {
    minLength: 1,
    maxLength: 4,
  })
  .chain((segments) =>
    fc.tuple(
      fc.constant(segments),
      fc.array(fc.constantFrom(':', '/', '#', '|'), { minLength: 3, maxLength: 3 }),
    ),
  )
  .map(([segments, separators]) => {
    let placeholder = 0;
    const parts = segments.map((segment) => (segment === null ? `{p${placeholder++}}` : segment));
    const template = parts.map((part, index) => (index === 0 ? part : separators[index - 1] + part)).join('');
    return { template, placeholders: Array.from({ length: placeholder }, (_, index) => `p${index}`) };
  })
  .filter(({ template, placeholders }) => placeholders.length > 0 && !template.startsWith(RESERVED));

describe('key contract: template shapes and hostile values (property)', () => {
  it('SDK keyOf and the worker render the same key and tag, never inside <prefix>_cc:', () => {
    fc.assert(
      fc.property(
        templateShape,
        fc.array(hostileValue, { minLength: 4, maxLength: 4 }),
        fc.constantFrom('', 'shop:', 'x', '_'),
        ({ template, placeholders }, values, prefix) => {
          // Prepare
          const keyspace = defineKeyspace({
            e: { key: template, ttl: '1m', tags: [template], sources: [{ table: 'public.t' }] },
          });
          const row = Object.fromEntries(placeholders.map((name, index) => [name, values[index]]));
          // Act
          const sdk = sdkKey(keyspace, prefix, 'e', row);
          const sdkTag = renderKeyTemplate(keyspace.entities.get('e')!.tags[0]!, row);
          const actions = workerDeleteKeys(keyspace, prefix, row);
          // Assess
          expect(actions).toEqual([
            { kind: 'delete', key: sdk, entity: 'e' },
            {
              kind: 'invalidate-tag',
              key: tagKey(prefix, (sdkTag as { key: string }).key),
              tag: (sdkTag as { key: string }).key,
            },
          ]);
          expect(sdk.startsWith(prefix + RESERVED)).toBe(false);
        },
      ),
      { numRuns: 1500 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// Column types: what a driver returns vs what Debezium writes (with schemas, without, flattened), in several
// time zones. The driver values are built as node-postgres builds them (local-time Dates).

interface TypedCase {
  /** The declared column type. */
  readonly type: string;
  /** What node-postgres / mysql2 / the document client returns. */
  readonly driver: unknown;
  /** The Debezium JSON literal of the column. */
  readonly json: string;
  /** The column's Kafka Connect schema. */
  readonly schema: Record<string, unknown>;
}

const pad = (value: number, width = 2) => String(value).padStart(width, '0');
const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
function unscaledBytes(value: bigint): string {
  let hex = (value < 0n ? (1n << 128n) + value : value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  // Shortest two's complement: strip redundant sign bytes, keep the sign bit right.
  if (value < 0n) {
    while (bytes.length > 1 && bytes[0] === 0xff && (bytes[1]! & 0x80) !== 0) bytes = bytes.subarray(1);
  } else if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return bytes.toString('base64');
}
function scaled(value: bigint, scale: number): string {
  const digits = (value < 0n ? -value : value).toString().padStart(scale + 1, '0');
  return `${value < 0n ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}
const MICROS_PER_DAY = 86_400_000_000n;
/** Epoch micros of years 1000 to 2999. */
const epochMicros = fc.bigInt({ min: -30_610_224_000_000_000n, max: 32_503_680_000_000_000n - 1n });

const typedCase: fc.Arbitrary<TypedCase> = fc.oneof(
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }).map((n) => ({
    type: 'integer',
    driver: n,
    json: String(n),
    schema: { type: 'int32' },
  })),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({
    type: 'bigint',
    driver: String(n), // node-postgres returns int8 as a string
    json: String(n),
    schema: { type: 'int64' },
  })),
  fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).map((n) => ({
    type: 'numeric(14,2)',
    driver: scaled(n, 2), // '12.50'
    json: JSON.stringify(unscaledBytes(n)),
    schema: { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } },
  })),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => ({
    type: 'float',
    driver: n,
    json: JSON.stringify(n),
    schema: { type: 'float64' },
  })),
  fc.boolean().map((b) => ({ type: 'boolean', driver: b, json: String(b), schema: { type: 'boolean' } })),
  hostileString.map((s) => ({
    type: 'text',
    driver: s,
    json: JSON.stringify(s),
    schema: { type: 'string' },
  })),
  fc.uuid().map((u) => ({
    type: 'uuid',
    driver: u,
    json: JSON.stringify(u),
    schema: { type: 'string', name: 'io.debezium.data.Uuid' },
  })),
  fc.integer({ min: -354_000, max: 376_000 }).map((days) => {
    const utc = new Date(days * 86_400_000);
    return {
      type: 'date',
      // node-postgres: new Date(year, month, day), LOCAL midnight
      driver: new Date(utc.getUTCFullYear(), utc.getUTCMonth(), utc.getUTCDate()),
      json: String(days),
      schema: { type: 'int32', name: 'io.debezium.time.Date' },
    };
  }),
  fc.bigInt({ min: 0n, max: MICROS_PER_DAY - 1n }).map((micros) => {
    const seconds = Number(micros / 1_000_000n);
    const fraction = (micros % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
    const clock = `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}`;
    return {
      type: 'time',
      driver: fraction ? `${clock}.${fraction}` : clock,
      json: String(micros),
      schema: { type: 'int64', name: 'io.debezium.time.MicroTime' },
    };
  }),
  epochMicros.map((micros) => {
    const wall = new Date(Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n)));
    return {
      type: 'timestamp',
      // node-postgres: the wall clock as LOCAL time, to the millisecond
      driver: new Date(
        wall.getUTCFullYear(),
        wall.getUTCMonth(),
        wall.getUTCDate(),
        wall.getUTCHours(),
        wall.getUTCMinutes(),
        wall.getUTCSeconds(),
        wall.getUTCMilliseconds(),
      ),
      json: String(micros),
      schema: { type: 'int64', name: 'io.debezium.time.MicroTimestamp' },
    };
  }),
  fc.tuple(epochMicros, fc.integer({ min: -14 * 60, max: 14 * 60 })).map(([micros, offset]) => {
    const ms = Number(micros / 1000n - (micros % 1000n < 0n ? 1n : 0n));
    const frac = ((micros % 1_000_000n) + 1_000_000n) % 1_000_000n;
    // Debezium writes ZonedTimestamp in UTC; an offset form ('+05:30') must read the same.
    const local = new Date(ms + offset * 60_000).toISOString().slice(0, 19);
    const sign = offset < 0 ? '-' : '+';
    const zoned = `${local}.${frac.toString().padStart(6, '0')}${sign}${pad(Math.floor(Math.abs(offset) / 60))}:${pad(Math.abs(offset) % 60)}`;
    return {
      type: 'timestamptz',
      driver: new Date(ms),
      json: JSON.stringify(zoned),
      schema: { type: 'string', name: 'io.debezium.time.ZonedTimestamp' },
    };
  }),
  fc.uint8Array({ minLength: 1, maxLength: 20 }).map((bytes) => ({
    type: 'bytes',
    driver: Buffer.from(bytes),
    json: JSON.stringify(base64(bytes)),
    schema: { type: 'bytes' },
  })),
);

const SOURCE = '{"connector":"postgresql","schema":"public","table":"t","lsn":1}';

/** The same delete as Debezium writes it: envelope with and without schemas, and flattened (both). */
function debeziumValues(column: TypedCase): string[] {
  const row = `{"k":${column.json}}`;
  const rowSchema = JSON.stringify({
    type: 'struct',
    optional: true,
    fields: [{ ...column.schema, field: 'k' }],
  });
  const envelope = `{"before":${row},"after":null,"source":${SOURCE},"op":"d"}`;
  const envelopeSchema = `{"type":"struct","fields":[${rowSchema.replace('{', '{"field":"before",')},${rowSchema.replace('{', '{"field":"after",')},{"type":"struct","field":"source","fields":[]},{"type":"string","field":"op"}]}`;
  const flat = `{"k":${column.json},"__deleted":"true","__table":"t","__schema":"public"}`;
  const flatSchema = JSON.stringify({
    type: 'struct',
    fields: [
      { ...column.schema, field: 'k' },
      { type: 'string', field: '__deleted' },
      { type: 'string', field: '__table' },
      { type: 'string', field: '__schema' },
    ],
  });
  return [
    envelope,
    `{"schema":${envelopeSchema},"payload":${envelope}}`,
    flat,
    `{"schema":${flatSchema},"payload":${flat}}`,
  ];
}

const TIME_ZONES = ['UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Pacific/Chatham'];

describe('key contract: column types, driver values vs Debezium encodings (property)', () => {
  const originalTz = process.env['TZ'];
  afterAll(() => {
    process.env['TZ'] = originalTz;
  });

  it.each(TIME_ZONES)('agree in TZ=%s', (tz) => {
    process.env['TZ'] = tz;
    fc.assert(
      fc.property(typedCase, fc.constantFrom('', 'p:'), (column, prefix) => {
        // A local wall clock that the zone skips (a DST gap) cannot be a Date: no driver can return it.
        if (column.type === 'timestamp') {
          const driver = column.driver as Date;
          fc.pre(
            !Number.isNaN(driver.getTime()) && new Date(driver.getTime()).getHours() === driver.getHours(),
          );
        }
        // Prepare
        const keyspace = defineKeyspace({
          e: { key: '{k}:e', ttl: '1m', sources: [{ table: 'public.t', columns: { k: column.type } }] },
        });
        const decode = createDebeziumDecoder({
          columns: keyspaceColumns(keyspace),
          columnTypes: keyspaceColumnTypes(keyspace),
        });
        // Act
        const expected = sdkKey(keyspace, prefix, 'e', { k: column.driver });
        const workerKeys = debeziumValues(column).map((value) => {
          const events = decode({
            topic: 'srv.public.t',
            partition: 0,
            offset: '1',
            key: null,
            value: Buffer.from(value),
          });
          const [plan] = planActions(events, { keyspace, prefix });
          return plan?.status === 'planned' ? plan.actions[0]?.key : JSON.stringify(plan);
        });
        // Assess
        expect(workerKeys).toEqual([expected, expected, expected, expected]);
        expect(expected.startsWith(prefix + RESERVED)).toBe(false);
      }),
      { numRuns: 400 },
    );
  });
});

describe('key contract: DynamoDB numbers (property)', () => {
  const keyspace = defineKeyspace({ e: { key: 'e:{n}', ttl: '1m', sources: [{ dynamodb: 'Things' }] } });
  const decimalText = fc
    .tuple(fc.bigInt({ min: -(10n ** 38n) + 1n, max: 10n ** 38n - 1n }), fc.integer({ min: -60, max: 60 }))
    .map(([digits, exponent]) => `${digits}e${exponent}`);

  it('keyOf with the document client value (number or NumberValue) matches the stream record', () => {
    fc.assert(
      fc.property(decimalText, fc.boolean(), (text, wrap) => {
        const asNumber = Number(text);
        // Without wrapNumbers the document client returns a number only when it holds the value exactly.
        fc.pre(
          wrap ||
            (Number.isFinite(asNumber) &&
              String(asNumber).replace('+', '') === new NumberValue(text).toString().replace('+', '')) ||
            false,
        );
        // Prepare: DynamoDB keeps and streams a number as normalised decimal text
        const stored = normalise(text);
        const record = {
          eventName: 'REMOVE' as const,
          eventSourceARN: 'arn:aws:dynamodb:eu-west-1:1:table/Things/stream/x',
          dynamodb: { Keys: { n: { N: stored } }, OldImage: { n: { N: stored } }, SequenceNumber: '100' },
        };
        // Act
        const [plan] = planActions([decodeStreamRecord(record)!], { keyspace });
        const sdk = sdkKey(keyspace, '', 'e', { n: wrap ? new NumberValue(stored) : Number(stored) });
        // Assess
        expect(plan?.status === 'planned' && plan.actions[0]?.key).toBe(sdk);
      }),
      { numRuns: 2000 },
    );
  });

  it("renders the application's 1e-7 and the stream's 0.0000001 as one key", () => {
    expect(sdkKey(keyspace, '', 'e', { n: 1e-7 })).toBe('e:0.0000001');
    expect(sdkKey(keyspace, '', 'e', { n: new NumberValue('1E-7') })).toBe('e:0.0000001');
  });
});

/** Plain decimal text without exponent or redundant zeros, as DynamoDB stores a number. */
function normalise(text: string): string {
  const [mantissa = '', exponentText = '0'] = text.split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace(/^0+/, '');
  if (digits === '') return '0';
  const exponent = Number(exponentText);
  if (exponent >= 0) return `${negative ? '-' : ''}${digits}${'0'.repeat(exponent)}`;
  const point = digits.length + exponent;
  const whole = point > 0 ? digits.slice(0, point) : '0';
  const fraction = (point >= 0 ? digits.slice(point) : '0'.repeat(-point) + digits).replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

describe('canonical key text: the cases that used to differ, and the errors', () => {
  const keyspace = defineKeyspace({
    daily: { key: 'daily:{day}', ttl: '1m', sources: [{ table: 'public.d', columns: { day: 'date' } }] },
    seen: { key: 'seen:{at}', ttl: '1m', sources: [{ table: 'public.s', columns: { at: 'timestamp' } }] },
    big: { key: 'big:{id}', ttl: '1m', sources: [{ table: 'public.b', columns: { id: 'bigint' } }] },
    price: { key: 'price:{p}', ttl: '1m', sources: [{ table: 'public.p', columns: { p: 'numeric' } }] },
    loose: { key: 'loose:{v}', ttl: '1m', sources: [{ table: 'public.l' }] },
  });
  const key = (entity: string, params: Record<string, unknown>) => sdkKey(keyspace, '', entity, params);
  const codeOf = (attempt: () => unknown) => {
    try {
      attempt();
      return 'no error';
    } catch (error) {
      return (error as { code: string }).code;
    }
  };

  it('reads a date Date as its local calendar day and a timestamp Date as its local wall clock, in any zone', () => {
    const original = process.env['TZ'];
    try {
      for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Tokyo']) {
        process.env['TZ'] = tz;
        expect(key('daily', { day: new Date(2024, 0, 2) })).toBe('daily:2024-01-02');
        expect(key('seen', { at: new Date(1969, 11, 31, 23, 59, 59, 999) })).toBe(
          'seen:1969-12-31T23%3A59%3A59.999',
        );
      }
    } finally {
      process.env['TZ'] = original;
    }
  });

  it('gives one text to equal decimals however they are written', () => {
    expect(['12.50', 12.5, '1.25e1', '+012.500'].map((p) => key('price', { p }))).toEqual(
      Array(4).fill('price:12.5'),
    );
    expect(key('loose', { v: 1e-7 })).toBe('loose:0.0000001');
    expect(key('loose', { v: -0 })).toBe('loose:0');
  });

  it('refuses, with CDC_INVALID_KEY_PARAMS, what would silently name another key', () => {
    expect(codeOf(() => key('big', { id: 2 ** 60 }))).toBe('CDC_INVALID_KEY_PARAMS'); // digits may be lost
    expect(key('big', { id: '1152921504606846977' })).toBe('big:1152921504606846977');
    expect(codeOf(() => key('loose', { v: new Date() }))).toBe('CDC_INVALID_KEY_PARAMS'); // which type?
    expect(codeOf(() => key('loose', { v: { a: 1 } }))).toBe('CDC_INVALID_KEY_PARAMS'); // json
    expect(codeOf(() => key('seen', { at: '2024-01-02T03:04:05Z' }))).toBe('CDC_INVALID_KEY_PARAMS'); // an instant
    expect(codeOf(() => key('daily', { day: '2024-02-30' }))).toBe('CDC_INVALID_KEY_PARAMS');
  });

  it('rejects an unknown declared type and conflicting declarations when the keyspace loads', () => {
    expect(
      codeOf(() =>
        defineKeyspace({
          e: { key: 'e:{v}', ttl: '1m', sources: [{ table: 'public.t', columns: { v: 'jsonb' } }] },
        }),
      ),
    ).toBe('CDC_INVALID_KEYSPACE');
    expect(
      codeOf(() =>
        defineKeyspace({
          e: {
            key: 'e:{v}',
            ttl: '1m',
            sources: [
              { table: 'public.t', columns: { v: 'date' } },
              { table: 'public.u', columns: { v: 'timestamp' } },
            ],
          },
        }),
      ),
    ).toBe('CDC_INVALID_KEYSPACE');
  });

  it('fails the event, never guesses, when a schemaless decimal has no declared scale', () => {
    const typed = defineKeyspace({
      e: { key: 'e:{amount}', ttl: '1m', sources: [{ table: 'public.t', columns: { amount: 'numeric' } }] },
    });
    const decode = createDebeziumDecoder({
      columns: keyspaceColumns(typed),
      columnTypes: keyspaceColumnTypes(typed),
    });
    const value = `{"before":{"amount":"BOI="},"after":null,"source":${SOURCE},"op":"d"}`;
    expect(
      codeOf(() => decode({ topic: 't', partition: 0, offset: '1', key: null, value: Buffer.from(value) })),
    ).toBe('CDC_DECODE_FAILED');
  });
});
