import fc from 'fast-check';
import { versionKey } from '../../../src/keyspace';
import { pushTombstoneRun, tombstoneRun } from '../../../src/redis/scripts';

/** The format write-tombstones-n.lua reads: `<ttl>,<count>,<transaction>,<byte length>:<version>`. */
const run = (version: string, ttlMs: number, transactionId: string, entries: number) =>
  `${ttlMs},${entries},${transactionId},${Buffer.byteLength(version)}:${version}`;

describe('tombstoneRun', () => {
  it('writes memory ttl, entry count and transaction as digits, then the version after its byte length', () => {
    // Act
    const written = tombstoneRun('00000000000000000042', 300_000, '748', 1);

    // Assess
    expect(written).toBe('300000,1,748,20:00000000000000000042');
  });

  it('writes any ttl, count and transaction id in digits, and any version text after its byte length (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.oneof(fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
        fc.oneof(fc.constant(''), fc.nat({ max: 4_294_967_295 }).map(String)),
        fc.nat(),
        (version, ttlMs, transactionId, entries) => {
          expect(tombstoneRun(version, ttlMs, transactionId, entries)).toBe(
            run(version, ttlMs, transactionId, entries),
          );
        },
      ),
    );
  });

  it('joins the pieces of several runs into their concatenation', () => {
    // Prepare
    const pieces: string[] = [];

    // Act
    pushTombstoneRun(pieces, '9', 9, '748', 9);
    pushTombstoneRun(pieces, '10', 10, 'é', 10);
    pushTombstoneRun(pieces, '', 1_000_000, '', 100);

    // Assess
    expect(pieces.join('')).toBe(
      tombstoneRun('9', 9, '748', 9) + tombstoneRun('10', 10, 'é', 10) + tombstoneRun('', 1_000_000, '', 100),
    );
  });
});

describe('versionKey', () => {
  it('keeps each prefix apart when calls alternate between prefixes', () => {
    // Act
    const keys = ['shop:', 'blog:', 'shop:', ''].map((prefix) => versionKey(prefix, `${prefix}user:42`));

    // Assess
    expect(keys).toEqual([
      'shop:_cc:ver:{shop:user:42}',
      'blog:_cc:ver:{blog:user:42}',
      'shop:_cc:ver:{shop:user:42}',
      '_cc:ver:{user:42}',
    ]);
  });
});
