// Where a run of plain string text ends: the first quote, backslash or raw control byte. Every byte is looked
// at (a raw control character anywhere in a string makes JSON.parse reject the whole message, so a native
// search for the closing quote alone would not do), but four at a time: the bytes are read as 32-bit words
// and one word holds a stop byte exactly when a branch-free test says so. On a long string (a text column
// the keyspace does not read) that is about 1.6 times as fast as the four table lookups a step it replaces.

/** 1 for the bytes that end or interrupt a plain run of string text: the quote, the backslash, control characters. */
const STOP = new Uint8Array(256);
for (let code = 0; code < 0x20; code++) STOP[code] = 1;
STOP[0x22] = 1;
STOP[0x5c] = 1;

/**
 * The last buffer seen, as words: a Kafka batch's messages are slices of one buffer, so the view is made once
 * a batch. It keeps that buffer reachable until a message from another one comes.
 */
let wordsOf: ArrayBufferLike | undefined;
let words: Int32Array<ArrayBufferLike> = new Int32Array(0);

/** Runs shorter than this are looked at byte by byte (keys, short values): not worth the word view. */
const SHORT_RUN = 16;

/**
 * Index of the first quote, backslash or control byte at or after `at`, or `bytes.length` when there is none.
 *
 * @example
 * plainTextEnd(Buffer.from('"abc"'), 1) // 4
 */
export function plainTextEnd(bytes: Buffer, at: number): number {
  const length = bytes.length;
  let index = at;
  const shortEnd = Math.min(length, at + SHORT_RUN);
  while (index < shortEnd) {
    if (STOP[bytes[index]!] === 1) return index;
    index++;
  }
  if (length - index >= 8) {
    const offset = bytes.byteOffset;
    // Up to a word boundary of the underlying buffer, then whole words inside the slice.
    while (((offset + index) & 3) !== 0) {
      if (STOP[bytes[index]!] === 1) return index;
      index++;
    }
    if (bytes.buffer !== wordsOf) {
      wordsOf = bytes.buffer;
      words = new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >> 2);
    }
    let word = (offset + index) >> 2;
    const wordsEnd = Math.min((offset + length) >> 2, words.length);
    while (word < wordsEnd && !hasStopByte(words[word]!)) word++;
    index = word * 4 - offset;
  }
  while (index < length && STOP[bytes[index]!] === 0) index++;
  return index;
}

/**
 * Does the word hold a byte below 0x20, a quote (0x22) or a backslash (0x5c)? The classic tests for "a byte
 * less than n" and "a zero byte" (of the word xor'ed with the byte sought): a borrow can mark a byte after a
 * real hit, never a word without one, so the answer is exact whichever the byte order.
 */
function hasStopByte(word: number): boolean {
  const below = (word - 0x20202020) | 0;
  const quote = ((word ^ 0x22222222) - 0x01010101) | 0;
  const backslash = ((word ^ 0x5c5c5c5c) - 0x01010101) | 0;
  return ((below | quote | backslash) & ~word & 0x80808080) !== 0;
}
