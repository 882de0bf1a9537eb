import fc from 'fast-check';
import {
  decodeStreamRecord,
  isTtlDeletion,
  normaliseNumber,
  sequenceVersion,
  tableFromArn,
} from '../../../src/sources/dynamodb';
import { dynamodbRecordFactory } from './dynamodb-record-factory';

describe('decodeStreamRecord', () => {
  it('decodes an INSERT with the new image, the table from the ARN and a padded sequence version', () => {
    // Prepare
    const record = dynamodbRecordFactory({
      eventName: 'INSERT',
      keys: { pk: 'A1' },
      newImage: { pk: 'A1', price: 12 },
      sequenceNumber: '111122223333444455556',
    });

    // Act
    const event = decodeStreamRecord(record);

    // Assess
    expect(event).toEqual({
      source: 'dynamodb',
      table: 'Products',
      op: 'create',
      before: null,
      after: { pk: 'A1', price: 12 },
      key: { pk: 'A1' },
      version: '0000000000000000000111122223333444455556',
      committedAt: 1_764_000_000_000,
      position: '111122223333444455556',
    });
  });

  it('decodes a MODIFY with both images and a REMOVE with the old image', () => {
    // Prepare
    const modify = dynamodbRecordFactory({
      eventName: 'MODIFY',
      oldImage: { pk: 'A1', cat: 'x' },
      newImage: { pk: 'A1', cat: 'y' },
    });
    const remove = dynamodbRecordFactory({ eventName: 'REMOVE', oldImage: { pk: 'A1', cat: 'y' } });

    // Act
    const [updated, deleted] = [decodeStreamRecord(modify), decodeStreamRecord(remove)];

    // Assess
    expect(updated).toMatchObject({
      op: 'update',
      before: { pk: 'A1', cat: 'x' },
      after: { pk: 'A1', cat: 'y' },
    });
    expect(deleted).toMatchObject({
      op: 'delete',
      before: { pk: 'A1', cat: 'y' },
      after: null,
      key: { pk: 'A1' },
    });
  });

  it.each([
    ['KEYS_ONLY', { pk: 'A1', sk: 2 }, { pk: 'A1', sk: 2 }],
    ['NEW_IMAGE', { pk: 'A1', sk: 2 }, { pk: 'A1', sk: 2, price: 10 }],
    ['OLD_IMAGE', { pk: 'A1', sk: 2, price: 9 }, { pk: 'A1', sk: 2 }],
    ['NEW_AND_OLD_IMAGES', { pk: 'A1', sk: 2, price: 9 }, { pk: 'A1', sk: 2, price: 10 }],
  ] as const)('fills missing images with the keys for %s', (viewType, before, after) => {
    // Prepare
    const record = dynamodbRecordFactory({ viewType, keys: { pk: 'A1', sk: 2 } });

    // Act
    const event = decodeStreamRecord(record);

    // Assess
    expect(event.before).toEqual(before);
    expect(event.after).toEqual(after);
    expect(event.key).toEqual({ pk: 'A1', sk: 2 });
  });

  it('keeps big numbers exact: bigint for large integers, the decimal string when a number would round', () => {
    // Prepare
    const record = dynamodbRecordFactory({ eventName: 'INSERT', keys: { pk: 'A1' } });
    record.dynamodb!.NewImage = {
      pk: { S: 'A1' },
      big: { N: '123456789012345678901234567890' },
      exact: { N: '3.14159265358979323846264338' },
      small: { N: '-42' },
      decimal: { N: '1.50' },
      tags: { SS: ['b', 'a'] },
      scores: { NS: ['1', '99999999999999999999'] },
      blob: { B: 'AQID' },
      nested: { M: { n: { N: '7' }, l: { L: [{ N: '0.25' }, { NULL: true }] } } },
    };

    // Act
    const event = decodeStreamRecord(record);

    // Assess
    expect(event.after).toEqual({
      pk: 'A1',
      big: 123456789012345678901234567890n,
      exact: '3.14159265358979323846264338',
      small: -42,
      decimal: 1.5,
      tags: ['b', 'a'],
      scores: [1, 99999999999999999999n],
      blob: 'AQID',
      nested: { n: 7, l: [0.25, null] },
    });
  });

  it('takes the version from a numeric attribute when configured, zero-padded', () => {
    // Prepare
    const record = dynamodbRecordFactory({ newImage: { pk: 'A1', rev: 7 } });

    // Act
    const event = decodeStreamRecord(record, { versionAttribute: 'rev', tableName: 'Other' });

    // Assess
    expect(event.version).toBe('7'.padStart(40, '0'));
    expect(event.table).toBe('Other');
  });

  it('gives a REMOVE no version when versions come from an attribute (a re-created item restarts them)', () => {
    // Prepare
    const record = dynamodbRecordFactory({ eventName: 'REMOVE', oldImage: { pk: 'A1', rev: 9 } });

    // Act
    const event = decodeStreamRecord(record, { versionAttribute: 'rev' });

    // Assess
    expect(event.op).toBe('delete');
    expect(event.version).toBe('');
  });

  it.each([
    ['no dynamodb field', (r: Record<string, unknown>) => delete r['dynamodb'], /no 'dynamodb'/],
    ['a bad event name', (r: Record<string, unknown>) => (r['eventName'] = 'UPSERT'), /eventName 'UPSERT'/],
    [
      'a bad sequence number',
      (r: { dynamodb: { SequenceNumber?: string } }) => (r.dynamodb.SequenceNumber = 'x1'),
      /SequenceNumber/,
    ],
    ['no keys', (r: { dynamodb: { Keys?: unknown } }) => delete r.dynamodb.Keys, /no 'Keys'/],
    ['an unreadable ARN', (r: Record<string, unknown>) => (r['eventSourceARN'] = 'nope'), /table name/],
    [
      'a malformed attribute',
      (r: { dynamodb: { NewImage?: unknown } }) => (r.dynamodb.NewImage = { pk: { X: 1 } }),
      /unmarshall/,
    ],
  ])('throws a non-retriable CDC_DECODE_FAILED for %s', (_name, corrupt, message) => {
    // Prepare
    const record = dynamodbRecordFactory();
    (corrupt as (r: unknown) => void)(record);

    // Act
    const decode = () => decodeStreamRecord(record);

    // Assess
    expect(decode).toThrow(message);
    expect(decode).toThrow(expect.objectContaining({ code: 'CDC_DECODE_FAILED', retriable: false }));
  });

  it('rejects a version attribute that is not a non-negative integer', () => {
    // Prepare
    const record = dynamodbRecordFactory({ newImage: { pk: 'A1', rev: 'abc' } });

    // Act
    const decode = () => decodeStreamRecord(record, { versionAttribute: 'rev' });

    // Assess
    expect(decode).toThrow(/version attribute 'rev'/);
  });
});

describe('isTtlDeletion', () => {
  it('flags removals made by the DynamoDB service (TTL) and nothing else', () => {
    // Prepare
    const ttl = dynamodbRecordFactory({ eventName: 'REMOVE', ttl: true });
    const user = dynamodbRecordFactory({ eventName: 'REMOVE' });

    // Act / Assess
    expect(isTtlDeletion(ttl)).toBe(true);
    expect(isTtlDeletion(user)).toBe(false);
    expect(decodeStreamRecord(ttl).op).toBe('delete');
  });
});

describe('sequenceVersion', () => {
  it('orders versions byte-wise exactly as the sequence numbers order numerically', () => {
    const digits = fc.bigInt({ min: 10n ** 20n, max: 10n ** 40n - 1n });
    fc.assert(
      fc.property(digits, digits, (a, b) => {
        const [va, vb] = [sequenceVersion(String(a)), sequenceVersion(String(b))];
        expect(va.length).toBe(40);
        expect(Math.sign(va < vb ? -1 : va > vb ? 1 : 0)).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
});

describe('normaliseNumber', () => {
  it.each([
    ['0', 0],
    ['-17', -17],
    ['9007199254740991', 9007199254740991],
    ['9007199254740993', 9007199254740993n],
    ['0.1', 0.1],
    ['2.50', 2.5],
    ['0.30000000000000000001', '0.30000000000000000001'],
  ])('%s -> %p', (text, expected) => {
    expect(normaliseNumber(text)).toEqual(expected);
  });
});

describe('tableFromArn', () => {
  it('reads table names from table and stream ARNs', () => {
    expect(tableFromArn('arn:aws:dynamodb:eu-west-1:1:table/My.Table-1/stream/2026')).toBe('My.Table-1');
    expect(tableFromArn('arn:aws:dynamodb:eu-west-1:1:table/T')).toBe('T');
    expect(tableFromArn(undefined)).toBeUndefined();
  });
});
