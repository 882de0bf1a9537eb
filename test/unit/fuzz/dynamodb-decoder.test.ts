import type { DynamoDBRecord } from 'aws-lambda';
import fc from 'fast-check';
import { decodeStreamRecord } from '../../../src/sources/dynamodb/decode-stream-record';
import { dynamodbRecordFactory } from '../dynamodb/dynamodb-record-factory';
import { FUZZ_RUNS, HUGE, outcome, reportFuzzStats } from './fuzz-support';

// DynamoDB stream records as a Lambda event or a hostile producer could shape them: fields of the wrong
// type, attribute values that are not AttributeValues, huge and deep values. Each decodes or is rejected
// with a coded CdcCacheError, and never sets a prototype.

const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom('toString', '__proto__', 'INSERT'),
  fc.constantFrom(HUGE, 1_000).map((size) => 'x'.repeat(size)),
  fc.constantFrom(
    { S: 1 },
    { N: 'abc' },
    { N: `1.${'0'.repeat(HUGE)}1` },
    { N: '1e400' },
    { B: 7 },
    { SS: 'a' },
    { L: {} },
    { M: [] },
    { NULL: 'no' },
    { BOOL: 'yes' },
    {},
    { S: 'a', N: '1' },
  ),
  fc.integer({ min: 1, max: 3_000 }).map((depth) => {
    let value: unknown = { S: 'leaf' };
    for (let level = 0; level < depth; level++) value = { L: [value] };
    return value;
  }),
);

/** A path into a record and the value written there. */
const PATHS: readonly (readonly string[])[] = [
  ['eventName'],
  ['eventSourceARN'],
  ['dynamodb'],
  ['dynamodb', 'SequenceNumber'],
  ['dynamodb', 'Keys'],
  ['dynamodb', 'Keys', 'pk'],
  ['dynamodb', 'Keys', '__proto__'],
  ['dynamodb', 'NewImage'],
  ['dynamodb', 'NewImage', 'price'],
  ['dynamodb', 'NewImage', '__proto__'],
  ['dynamodb', 'OldImage', 'pk'],
  ['dynamodb', 'ApproximateCreationDateTime'],
];

const hostileRecord = fc
  .tuple(
    fc.constantFrom('INSERT', 'MODIFY', 'REMOVE') as fc.Arbitrary<'INSERT' | 'MODIFY' | 'REMOVE'>,
    fc.array(fc.tuple(fc.constantFrom(...PATHS), oddValue), { minLength: 1, maxLength: 3 }),
  )
  .map(([eventName, edits]) => {
    // Through JSON, as Lambda delivers it: a `__proto__` member is then an own property.
    const record = JSON.parse(JSON.stringify(dynamodbRecordFactory({ eventName }))) as Record<
      string,
      unknown
    >;
    for (const [path, value] of edits) {
      let target: Record<string, unknown> = record;
      for (const name of path.slice(0, -1)) {
        const next = target[name];
        if (typeof next !== 'object' || next === null) break;
        target = next as Record<string, unknown>;
      }
      Object.defineProperty(target, path[path.length - 1]!, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return record as unknown as DynamoDBRecord;
  });

describe('DynamoDB stream decoder under hostile input', () => {
  afterAll(() => reportFuzzStats('dynamodb decoder'));

  it('decodes or rejects with a code every record with fields of the wrong type', () => {
    fc.assert(
      fc.property(hostileRecord, (record) => {
        const result = outcome(`dynamodb record ${String(record.eventID)}`, () => decodeStreamRecord(record));
        if ('ok' in result) {
          for (const row of [result.ok.key, result.ok.before, result.ok.after]) {
            if (row !== null) expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
          }
        }
      }),
      { numRuns: FUZZ_RUNS },
    );
  });
});
