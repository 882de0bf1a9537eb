import fc from 'fast-check';
import { versionKey } from '../../../src/keyspace';
import { pushTombstoneRun, tombstoneRun } from '../../../src/redis/scripts';

/** The format write-tombstones-n.lua reads: each field as `<byte length>:<text>`. */
const field = (text: string) => `${Buffer.byteLength(text)}:${text}`;

describe('tombstoneRun', () => {
  it('writes version, memory ttl, transaction and entry count as length-prefixed fields', () => {
    // Act
    const run = tombstoneRun('00000000000000000042', 300_000, '', 1);

    // Assess
    expect(run).toBe('20:00000000000000000042' + '6:300000' + '0:' + '1:1');
  });

  it('counts the digits of any ttl and count, and the bytes of any text (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.oneof(
          fc.nat(),
          fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
          fc.double({ min: 0, noNaN: true }),
        ),
        fc.string({ unit: 'binary' }),
        fc.nat(),
        (version, ttlMs, transactionId, entries) => {
          expect(tombstoneRun(version, ttlMs, transactionId, entries)).toBe(
            field(version) + field(String(ttlMs)) + field(transactionId) + field(String(entries)),
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
