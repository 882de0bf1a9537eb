import {
  createDebeziumDecoder,
  type DebeziumRecord,
  decodeDebeziumRecord,
} from '../../../src/sources/debezium';
import { decodeStreamRecord } from '../../../src/sources/dynamodb/decode-stream-record';
import { debeziumRecord, mysqlEnvelope, pgEnvelope } from '../debezium/debezium-factories';
import { dynamodbRecordFactory } from '../dynamodb/dynamodb-record-factory';
import { costRatio } from './fuzz-support';

// No message may cost more than linear time in its size: one that takes seconds stops the worker's
// heartbeats, its partition moves to the next worker, and that one hangs on it too. Each case times one
// message with a 100 KB field against a hundred with a 1 KB field, in the same run: about 1 when linear,
// about 100 when quadratic. The bound is generous so a busy machine does not make it flake.
const BOUND = 15;

const decoders = {
  full: decodeDebeziumRecord,
  projected: createDebeziumDecoder({ columns: () => ['id', 'email'] }),
  all: createDebeziumDecoder({ columns: () => 'all' }),
};

function attempt(decode: () => unknown): void {
  try {
    decode();
  } catch {
    // Rejected is fine here; only the time counts.
  }
}

/** A message whose field holds `size` bytes; each case builds its hostile field. */
const CASES: Record<string, (size: number) => DebeziumRecord> = {
  'a binlog file name of digits not at its end': (size) =>
    debeziumRecord(
      mysqlEnvelope({ source: { ...(mysqlEnvelope()['source'] as object), file: `${'1'.repeat(size)}x` } }),
    ),
  'a binlog file name of digits': (size) =>
    debeziumRecord(
      mysqlEnvelope({ source: { ...(mysqlEnvelope()['source'] as object), file: '1'.repeat(size) } }),
    ),
  'a huge op': (size) => debeziumRecord(pgEnvelope({ op: 'x'.repeat(size) })),
  'a huge table name': (size) =>
    debeziumRecord(
      pgEnvelope({ source: { ...(pgEnvelope()['source'] as object), table: 'é'.repeat(size / 2) } }),
    ),
  'a huge column value': (size) =>
    debeziumRecord(pgEnvelope({ after: { id: 1, email: 'e', bio: 'x'.repeat(size) } })),
  'a column value of escapes': (size) =>
    debeziumRecord(
      pgEnvelope({ after: { id: 1, email: '\\"'.repeat(size / 4), bio: '\\'.repeat(size / 2) } }),
    ),
  'a huge column name': (size) => debeziumRecord(pgEnvelope({ after: { id: 1, ['n'.repeat(size)]: 1 } })),
  'many columns': (size) =>
    debeziumRecord(
      pgEnvelope({ after: Object.fromEntries(Array.from({ length: size / 10 }, (_, i) => [`c${i}`, i])) }),
    ),
  'a huge integer': (size) =>
    debeziumRecord(
      JSON.stringify(pgEnvelope()).replace('"after":{"id":1', `"after":{"id":${'9'.repeat(size)}`),
    ),
  'a huge integer inside a string and after it': (size) =>
    debeziumRecord(
      JSON.stringify(pgEnvelope()).replace(
        '"after":{"id":1',
        `"after":{"email":"${'1'.repeat(size / 2)}","id":${'9'.repeat(size / 2)}`,
      ),
    ),
  'deep nesting': (size) =>
    debeziumRecord(
      JSON.stringify(pgEnvelope()).replace(
        '"after":{"id":1',
        `"after":{"id":1,"deep":${'['.repeat(size / 2)}${']'.repeat(size / 2)}`,
      ),
    ),
  'a huge record key name': (size) => debeziumRecord(pgEnvelope(), { ['k'.repeat(size)]: 1 }),
  'a schema of many columns': (size) =>
    debeziumRecord({
      schema: {
        type: 'struct',
        fields: [
          {
            type: 'struct',
            field: 'after',
            fields: Array.from({ length: size / 60 }, (_, i) => ({
              type: 'int32',
              name: 'io.debezium.time.Date',
              field: `c${i}`,
            })),
          },
        ],
      },
      payload: pgEnvelope({ after: { id: 1, c1: 20050 } }),
    }),
  'a deeply nested schema': (size) => {
    let column: Record<string, unknown> = { type: 'int32', name: 'io.debezium.time.Date', field: 'd' };
    for (let depth = 0; depth < size / 40; depth++) column = { type: 'struct', field: 'd', fields: [column] };
    return debeziumRecord({
      schema: { type: 'struct', fields: [{ type: 'struct', field: 'after', fields: [column] }] },
      payload: pgEnvelope({ after: { id: 1, d: { d: 1 } } }),
    });
  },
  'a huge decimal (schema)': (size) =>
    debeziumRecord({
      schema: {
        type: 'struct',
        fields: [
          {
            type: 'struct',
            field: 'after',
            fields: [
              {
                type: 'bytes',
                field: 'price',
                name: 'org.apache.kafka.connect.data.Decimal',
                parameters: { scale: '2' },
              },
            ],
          },
        ],
      },
      payload: pgEnvelope({ after: { id: 1, price: Buffer.alloc((size * 3) / 4, 0x7f).toString('base64') } }),
    }),
};

describe('decoding time is linear in the message size', () => {
  it.each(Object.entries(CASES))('Debezium: %s', (_name, build) => {
    const bySize = new Map<number, DebeziumRecord>();
    const message = (size: number) => {
      let record = bySize.get(size);
      if (!record) {
        record = build(size);
        bySize.set(size, record);
      }
      return record;
    };
    for (const decode of Object.values(decoders)) {
      expect(costRatio((size) => attempt(() => decode(message(size))))).toBeLessThan(BOUND);
    }
  });

  it.each([
    ['a number with a long run of zeros', (size: number) => ({ price: { N: `1.${'0'.repeat(size)}1` } })],
    ['a number ending in zeros', (size: number) => ({ price: { N: `1.${'0'.repeat(size)}` } })],
    ['a huge string', (size: number) => ({ price: { S: 'x'.repeat(size) } })],
    [
      'many attributes',
      (size: number) =>
        Object.fromEntries(Array.from({ length: size / 20 }, (_, i) => [`a${i}`, { N: String(i) }])),
    ],
  ])('DynamoDB: %s', (_name, attributes) => {
    const bySize = new Map<number, ReturnType<typeof dynamodbRecordFactory>>();
    const record = (size: number) => {
      let built = bySize.get(size);
      if (!built) {
        built = dynamodbRecordFactory();
        built.dynamodb!.NewImage = { pk: { S: 'A1' }, ...attributes(size) } as never;
        bySize.set(size, built);
      }
      return built;
    };
    expect(costRatio((size) => attempt(() => decodeStreamRecord(record(size))))).toBeLessThan(BOUND);
  });
});
