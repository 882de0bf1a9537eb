import fc from 'fast-check';
import {
  defineKeyspace,
  encodeKeyValue,
  entryKey,
  generationKey,
  RESERVED_KEY_SEGMENT,
  tagKey,
} from '../../../src/keyspace';
import { canonicalKeyText } from '../../../src/keyspace/canonical-key-text';
import { hostileString, hostileKeyValue as keyValue } from '../../support/hostile-key-values';

const keyspace = defineKeyspace({
  pair: { key: 'pair:{a}:{b}', ttl: '1m', sources: [{ table: 'public.pairs' }] },
  lead: { key: '{tenant}:user/{id}', ttl: '1m', sources: [{ table: 'public.users' }] },
});

/** Redis compares keys as bytes, and ioredis sends strings as UTF-8: compare those bytes. */
const redisBytes = (key: string) => Buffer.from(key, 'utf8').toString('hex');

describe('encodeKeyValue', () => {
  it('percent-encodes separators, braces, % and whitespace, and keeps unicode', () => {
    // Prepare
    const values = ['a:b{c}', '50%', 'x y', 'é/🙂#|'];
    // Act
    const encoded = values.map((value) => encodeKeyValue(value));
    // Assess
    expect(encoded).toEqual(['a%3Ab%7Bc%7D', '50%25', 'x%20y', 'é%2F🙂%23%7C']);
  });

  it('names no row for null, undefined and the empty string', () => {
    expect([null, undefined, ''].map((value) => encodeKeyValue(value))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('rejects, with a coded error, values no key can hold', () => {
    // Prepare
    const values = [Number.NaN, Number.POSITIVE_INFINITY, {}, [], new Date(Number.NaN), new Date()];
    // Act
    const outcomes = values.map((value) => {
      try {
        return encodeKeyValue(value);
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    // Assess
    expect(outcomes).toEqual(values.map(() => 'CDC_INVALID_KEY_PARAMS'));
  });

  it('encodes lone surrogates distinctly (they would all become U+FFFD as UTF-8 bytes)', () => {
    // Prepare
    const values = ['\uD800', '\uD801', '\uDC00', '\uFFFD'];
    // Act
    const bytes = values.map((value) => redisBytes(encodeKeyValue(value)!));
    // Assess
    expect(new Set(bytes).size).toBe(values.length);
    expect(encodeKeyValue('\uD800')).toBe('%ED%A0%80');
  });

  it('never emits a separator, a brace or a raw lone surrogate (property)', () => {
    fc.assert(
      fc.property(keyValue, (value) => {
        const encoded = encodeKeyValue(value);
        return encoded !== undefined && !/[:/#|{}\s]|\p{Cs}/u.test(encoded);
      }),
    );
  });

  it('is injective on canonical text, as Redis sees the bytes (property)', () => {
    fc.assert(
      fc.property(keyValue, keyValue, (left, right) => {
        const same = canonicalKeyText(left) === canonicalKeyText(right);
        return (redisBytes(encodeKeyValue(left)!) === redisBytes(encodeKeyValue(right)!)) === same;
      }),
      { numRuns: 2000 },
    );
  });

  it('gives the number 42 and the string "42" the same key on purpose', () => {
    expect(entryKey(keyspace, 'pair', { a: 42, b: 7n })).toBe(
      entryKey(keyspace, 'pair', { a: '42', b: '7' }),
    );
  });
});

describe('entryKey with hostile values', () => {
  it('never makes two different rows share a key (property)', () => {
    fc.assert(
      fc.property(
        fc.tuple(hostileString, hostileString),
        fc.tuple(hostileString, hostileString),
        ([a1, b1], [a2, b2]) => {
          const left = redisBytes(entryKey(keyspace, 'pair', { a: a1, b: b1 }));
          const right = redisBytes(entryKey(keyspace, 'pair', { a: a2, b: b2 }));
          return (left === right) === (a1 === a2 && b1 === b2);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('never renders a key inside the reserved _cc: namespace, even from a leading placeholder', () => {
    // Prepare
    const params = { tenant: '_cc', id: 'x' };
    // Act
    const key = entryKey(keyspace, 'lead', params);
    // Assess
    expect(key.startsWith(RESERVED_KEY_SEGMENT)).toBe(false);
    expect(key).toBe('%5Fcc:user/x');
    expect(entryKey(keyspace, 'lead', { tenant: '%5Fcc', id: 'x' })).not.toBe(key);
  });

  it('keeps the reserved keys apart from every entity key (property)', () => {
    fc.assert(
      fc.property(hostileString, hostileString, (tenant, id) => {
        const key = entryKey(keyspace, 'lead', { tenant, id });
        return key !== generationKey('', 'user') && key !== tagKey('', `${id}`) && !key.startsWith('_cc:');
      }),
    );
  });

  it('names every missing or unusable parameter', () => {
    // Act
    const attempt = () => entryKey(keyspace, 'pair', { a: '', b: null });
    // Assess
    expect(attempt).toThrow(
      expect.objectContaining({ code: 'CDC_INVALID_KEY_PARAMS', message: expect.stringContaining('a, b') }),
    );
  });

  it('rejects an unknown entity naming the known ones', () => {
    expect(() => entryKey(keyspace, 'nope', {})).toThrow(/Unknown entity 'nope'.*pair, lead/);
  });
});
