import fc from 'fast-check';
import { debeziumVersion } from '../../../src/sources/debezium';

describe('debeziumVersion', () => {
  it('pads a PostgreSQL LSN to 20 digits', () => {
    expect(debeziumVersion({ lsn: 24023128 })).toBe('00000000000024023128');
    expect(debeziumVersion({ lsn: 18446744073709551615n })).toBe('18446744073709551615');
  });

  it('orders LSNs byte-wise as numbers', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
        (a, b) => {
          const [va, vb] = [debeziumVersion({ lsn: a }), debeziumVersion({ lsn: b })];
          expect(Math.sign(va < vb ? -1 : va > vb ? 1 : 0)).toBe(a < b ? -1 : a > b ? 1 : 0);
        },
      ),
    );
  });

  it('orders binlog coordinates by file index, then position, then row', () => {
    const coordinate = fc.record({
      index: fc.integer({ min: 1, max: 999_999 }),
      pos: fc.integer({ min: 4, max: 2 ** 40 }),
      row: fc.integer({ min: 0, max: 10_000 }),
    });
    fc.assert(
      fc.property(coordinate, coordinate, (a, b) => {
        const version = (c: typeof a) =>
          debeziumVersion({ file: `mysql-bin.${String(c.index).padStart(6, '0')}`, pos: c.pos, row: c.row });
        const numeric = a.index - b.index || a.pos - b.pos || a.row - b.row;
        const [va, vb] = [version(a), version(b)];
        expect(va < vb ? -1 : va > vb ? 1 : 0).toBe(Math.sign(numeric));
      }),
    );
  });

  it('is empty when the source block carries no position', () => {
    expect(debeziumVersion({})).toBe('');
  });
});
