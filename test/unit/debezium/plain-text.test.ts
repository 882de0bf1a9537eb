import fc from 'fast-check';
import { plainTextEnd } from '../../../src/sources/debezium/plain-text';

// plainTextEnd reads long runs as 32-bit words of the underlying buffer: slices at every alignment, stop bytes
// at every place in a word, and bytes with the high bit set (negative words) are where it could go wrong.

/** The answer byte by byte: the first quote, backslash or control byte at or after `at`. */
function expectedEnd(bytes: Buffer, at: number): number {
  for (let index = at; index < bytes.length; index++) {
    const code = bytes[index]!;
    if (code < 0x20 || code === 0x22 || code === 0x5c) return index;
  }
  return bytes.length;
}

const STOPS = [0x00, 0x09, 0x0a, 0x1f, 0x22, 0x5c];
const PLAIN = [0x20, 0x21, 0x23, 0x5b, 0x5d, 0x61, 0x7f, 0x80, 0xa0, 0xc3, 0xdc, 0xe2, 0xff];

/** `body` copied into a larger buffer at `offset`, so the slice starts at any alignment of its buffer. */
function sliceAt(body: readonly number[], offset: number, after: number, fill = 0x22): Buffer {
  const pool = Buffer.alloc(offset + body.length + after, fill);
  pool.set(body, offset);
  return pool.subarray(offset, offset + body.length);
}

describe('plainTextEnd', () => {
  it('finds the first stop byte in long runs, at any alignment and any place in a word', () => {
    const wrong: string[] = [];
    for (let offset = 0; offset < 4; offset++) {
      for (let length = 0; length < 48; length++) {
        for (const stop of STOPS) {
          for (let place = 0; place <= length; place++) {
            const body = Array.from({ length }, (_unused, index) => PLAIN[index % PLAIN.length]!);
            if (place < length) body[place] = stop;
            const bytes = sliceAt(body, offset, 3);
            for (const at of [0, 1]) {
              if (at <= length && plainTextEnd(bytes, at) !== expectedEnd(bytes, at)) {
                wrong.push(`offset ${offset} length ${length} stop ${stop} at ${place} from ${at}`);
              }
            }
          }
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('never reads past the end of its slice, whatever the buffer holds after it', () => {
    for (let length = 20; length < 40; length++) {
      const body = Array.from({ length }, () => 0x61);
      for (let offset = 0; offset < 4; offset++) {
        // A slice with no stop byte ends at its own length, whether the buffer goes on with text or a quote.
        expect(plainTextEnd(sliceAt(body, offset, 16, 0x61), 0)).toBe(length);
        expect(plainTextEnd(sliceAt(body, offset, 16, 0x22), 0)).toBe(length);
      }
    }
  });

  it('agrees with a byte-by-byte search on arbitrary bytes and slices', () => {
    const byte = fc.oneof(fc.constantFrom(...STOPS, ...PLAIN), fc.integer({ min: 0, max: 255 }));
    fc.assert(
      fc.property(
        fc.array(byte, { maxLength: 300 }),
        fc.nat(7),
        fc.nat(20),
        fc.nat(300),
        (body, offset, after, start) => {
          const bytes = sliceAt(body, offset, after);
          const at = Math.min(start, bytes.length);
          expect(plainTextEnd(bytes, at)).toBe(expectedEnd(bytes, at));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps working when messages come from different buffers', () => {
    const first = sliceAt(
      Array.from({ length: 100 }, () => 0x61),
      1,
      4,
    );
    const second = sliceAt([...Array.from({ length: 50 }, () => 0x61), 0x0a], 3, 4);
    expect(plainTextEnd(first, 0)).toBe(100);
    expect(plainTextEnd(second, 0)).toBe(50);
    expect(plainTextEnd(first, 2)).toBe(100);
  });
});
