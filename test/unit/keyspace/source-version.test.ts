import fc from 'fast-check';
import { binlogVersion, postgresVersion, readPositionVersion } from '../../../src/keyspace';
import { debeziumVersion } from '../../../src/sources/debezium';
import { decodeStreamRecord } from '../../../src/sources/dynamodb';
import { dynamodbRecordFactory } from '../dynamodb/dynamodb-record-factory';

const table = { kind: 'table', table: 'public.users' } as const;
const items = { kind: 'dynamodb', table: 'Items' } as const;
const lsnText = (lsn: bigint) =>
  `${(lsn >> 32n).toString(16).toUpperCase()}/${(lsn & 0xffffffffn).toString(16).toUpperCase()}`;

describe('readPositionVersion', () => {
  it('reads the pg_lsn text and keeps exactly the changes before it (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (replayed, change) => {
          // A change at `change` is in a snapshot replayed up to `replayed` exactly when it starts before it.
          const position = readPositionVersion(table, lsnText(replayed));
          const version = debeziumVersion({ lsn: change });
          return version <= position === change < replayed;
        },
      ),
    );
  });

  it('reads a binlog { file, pos } and keeps every row of the events before pos', () => {
    // Prepare
    const position = readPositionVersion(table, { file: 'mysql-bin.000003', pos: 1540 });
    // Assess
    expect(binlogVersion('mysql-bin.000003', 1539, 7)! <= position).toBe(true);
    expect(debeziumVersion({ file: 'mysql-bin.000003', pos: 1540, row: 0 }) > position).toBe(true);
    expect(debeziumVersion({ file: 'mysql-bin.000002', pos: 999999, row: 3 }) < position).toBe(true);
  });

  it('encodes a DynamoDB version attribute exactly as the stream decoder does', () => {
    // Prepare
    const event = decodeStreamRecord(dynamodbRecordFactory({ newImage: { pk: 'I1', rev: 12 } }), {
      versionAttribute: 'rev',
    });
    // Assess
    expect(readPositionVersion(items, 12)).toBe(event.version);
    expect(readPositionVersion(items, 12n)).toBe(event.version);
  });

  it.each([
    ['a GTID set', table, '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5'],
    ['a negative number', table, -1],
    ['a non-numeric DynamoDB version', items, 'v7'],
  ])('rejects %s with CDC_INVALID_OPTION', (_case, source, position) => {
    expect(() => readPositionVersion(source, position as never)).toThrow(
      expect.objectContaining({ code: 'CDC_INVALID_OPTION' }),
    );
  });

  it('gives the decoder the same LSN encoding for a number and for the pg_lsn text', () => {
    expect(postgresVersion('0/16B3748')).toBe(debeziumVersion({ lsn: 0x16b3748 }));
  });

  it('encodes an LSN given as a number as the same LSN given as a bigint or digits (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), fc.integer({ min: -5, max: 5 }), fc.double()), (lsn) => {
        const exact = Number.isSafeInteger(lsn) && lsn >= 0;
        expect(postgresVersion(lsn)).toBe(exact ? postgresVersion(BigInt(lsn)) : undefined);
        if (exact) expect(postgresVersion(lsn)).toBe(postgresVersion(String(lsn)));
      }),
    );
    expect(postgresVersion(0)).toBe('00000000000000000000');
  });
});

describe('versions wider than their field', () => {
  // A padded version orders by bytes: a part with one digit too many would sort below smaller numbers and
  // make a newer change look older (its tombstone or refresh dropped). Such a part is no version at all.
  it('orders every encodable LSN as a number, and encodes none beyond 64 bits (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 70n }),
        fc.bigInt({ min: 0n, max: 2n ** 70n }),
        fc.constantFrom('bigint', 'digits') as fc.Arbitrary<'bigint' | 'digits'>,
        (a, b, form) => {
          const encode = (lsn: bigint) => postgresVersion(form === 'bigint' ? lsn : lsn.toString());
          const [left, right] = [encode(a), encode(b)];
          for (const [lsn, version] of [
            [a, left],
            [b, right],
          ] as const) {
            if (lsn > 2n ** 64n - 1n) expect(version).toBeUndefined();
            else expect(version).toHaveLength(20);
          }
          if (left !== undefined && right !== undefined) expect(left < right).toBe(a < b);
        },
      ),
    );
  });

  it('gives a Debezium change whose LSN is beyond 64 bits no version, so it is applied unversioned', () => {
    // 2^64: 21 digits, as the decoder hands on an integer beyond 2^53 (its exact decimal text).
    expect(debeziumVersion({ lsn: '18446744073709551616' })).toBe('');
    expect(debeziumVersion({ lsn: '99999999999999999999999' })).toBe('');
    expect(debeziumVersion({ lsn: '18446744073709551615' })).toBe('18446744073709551615');
  });

  it.each([
    ['a position of 21 digits', 'mysql-bin.000003', '100000000000000000000', 0],
    ['a row index of 11 digits', 'mysql-bin.000003', 1540, 10_000_000_000],
    ['a file index of 11 digits', 'mysql-bin.10000000000', 1540, 0],
  ])('gives a binlog coordinate with %s no version', (_case, file, pos, row) => {
    expect(binlogVersion(file, pos, row)).toBeUndefined();
    expect(debeziumVersion({ file, pos, row })).toBe('');
  });

  it('still encodes the widest binlog coordinate that fits', () => {
    const version = binlogVersion('mysql-bin.9999999999', '99999999999999999999', 9_999_999_999);
    expect(version).toBe('9'.repeat(40));
  });

  it('refuses a loader read position beyond 64 bits or 20 digits with CDC_INVALID_OPTION', () => {
    for (const position of ['18446744073709551616', { file: 'mysql-bin.000001', pos: '1'.repeat(21) }]) {
      expect(() => readPositionVersion(table, position as never)).toThrow(
        expect.objectContaining({ code: 'CDC_INVALID_OPTION' }),
      );
    }
  });
});
