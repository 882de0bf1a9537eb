import fc from 'fast-check';
import {
  laterTransactionId,
  parsePostgresSnapshot,
  postgresTransactionId,
  readPoint,
  transactionsFinished,
} from '../../../src/keyspace';

const XID_SPACE = 2n ** 32n;
/** A snapshot of full (epoch-extended) ids, in pg_current_snapshot()'s text form. */
const snapshot = (xmin: bigint, xmax: bigint, xip: bigint[] = []) =>
  parsePostgresSnapshot(`${xmin}:${xmax}:${xip.join(',')}`);
/** The 32-bit id a change event carries for a full id. */
const xid32 = (full: bigint) => String(full % XID_SPACE);

describe('parsePostgresSnapshot', () => {
  it('reads xmin, xmax and the running ids', () => {
    expect(parsePostgresSnapshot('732:734:732')).toEqual({
      xmin: 732n,
      xmax: 734n,
      xip: [732n],
      text: '732:734:732',
    });
    expect(parsePostgresSnapshot('732:734:')).toMatchObject({ xip: [] });
  });

  it.each([['0/16B3748'], ['734:732:'], ['1:2'], ['a:b:'], ['1:2:3,'], ['']])(
    'rejects %j, naming it',
    (text) => {
      expect(() => parsePostgresSnapshot(text)).toThrow(
        expect.objectContaining({
          code: 'CDC_INVALID_OPTION',
          message: expect.stringContaining('pg_current_snapshot'),
        }),
      );
    },
  );
});

describe('transactionsFinished', () => {
  it('holds below xmin and nowhere else, whatever the running list says (standby: empty xip)', () => {
    // Measured on the stack's standby while xid 732 was open on the primary and 733 had committed: '732:734:'.
    const standby = snapshot(732n, 734n);
    expect(transactionsFinished('731', standby)).toBe(true);
    expect(transactionsFinished('732', standby)).toBe(false);
    // 733 committed and IS visible there, but the standby's snapshot cannot show that 732 is still running:
    // a memory at 733 may also stand for 732's change to the same key (two rows, one key).
    expect(transactionsFinished('733', standby)).toBe(false);
  });

  it('refuses an id at or past xmax (not yet started or committed where the loader read)', () => {
    expect(transactionsFinished('734', snapshot(734n, 734n))).toBe(false);
    expect(transactionsFinished('900', snapshot(734n, 734n))).toBe(false);
    expect(transactionsFinished('733', snapshot(734n, 734n))).toBe(true);
  });

  it('compares across the 32-bit wraparound by the full ids of the snapshot', () => {
    // Epoch 1 began 10 ids ago: xid 4294967290 (epoch 0) finished, xid 3 (epoch 1) did not.
    const epoch = XID_SPACE;
    const near = snapshot(epoch + 5n, epoch + 10n);
    expect(transactionsFinished('4294967290', near)).toBe(true);
    expect(transactionsFinished('3', near)).toBe(true);
    expect(transactionsFinished('5', near)).toBe(false);
    expect(transactionsFinished('12', near)).toBe(false);
  });

  it('agrees with full-id comparison for every id within 2^31 of the snapshot (property)', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 2n ** 31n, max: 2n ** 40n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.bigInt({ min: -(2n ** 31n) + 1n, max: 2n ** 31n - 1001n }),
        (xmax, gap, offset) => {
          const xmin = xmax - gap;
          const full = xmax + offset;
          return transactionsFinished(xid32(full), snapshot(xmin, xmax)) === full < xmin;
        },
      ),
    );
  });
});

describe('laterTransactionId', () => {
  it('keeps the later id in circular order, and the one set when the other is empty', () => {
    expect(laterTransactionId('731', '733')).toBe('733');
    expect(laterTransactionId('733', '731')).toBe('733');
    expect(laterTransactionId('4294967295', '3')).toBe('3');
    expect(laterTransactionId('3', '4294967295')).toBe('3');
    expect(laterTransactionId('', '7')).toBe('7');
    expect(laterTransactionId('7', '')).toBe('7');
    expect(laterTransactionId('', '')).toBe('');
  });
});

describe('postgresTransactionId', () => {
  it('accepts 32-bit ids as numbers, bigints or digits, and nothing else', () => {
    expect(postgresTransactionId(748)).toBe('748');
    expect(postgresTransactionId(4294967295n)).toBe('4294967295');
    expect(postgresTransactionId('0748')).toBe('748');
    expect(postgresTransactionId(4294967296)).toBeUndefined();
    expect(postgresTransactionId(-1)).toBeUndefined();
    expect(postgresTransactionId(null)).toBeUndefined();
    expect(postgresTransactionId('7x')).toBeUndefined();
  });

  it('reads a number as it reads the same id as a bigint (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: -10, max: 2 ** 32 + 10 }), fc.double(), fc.constant(-0)),
        (value) => {
          const asBigint = Number.isInteger(value) ? postgresTransactionId(BigInt(value)) : undefined;
          expect(postgresTransactionId(value)).toBe(asBigint);
        },
      ),
    );
    expect(postgresTransactionId(2 ** 32 - 1)).toBe('4294967295');
    expect(postgresTransactionId(2 ** 32)).toBeUndefined();
    expect(postgresTransactionId(1.5)).toBeUndefined();
    expect(postgresTransactionId(Number.NaN)).toBeUndefined();
  });
});

describe('readPoint', () => {
  const table = { kind: 'table', table: 'public.users' } as const;
  it('parses a snapshot position and encodes an LSN one', () => {
    expect(readPoint(table, { snapshot: '732:734:' })).toMatchObject({
      version: '',
      snapshot: { xmin: 732n },
    });
    expect(readPoint(table, '0/16B3748')).toEqual({ version: '00000000000023803719' });
  });

  it('rejects a snapshot for a DynamoDB entity', () => {
    expect(() => readPoint({ kind: 'dynamodb', table: 'Items' }, { snapshot: '1:1:' })).toThrow(
      expect.objectContaining({ code: 'CDC_INVALID_OPTION' }),
    );
  });
});
