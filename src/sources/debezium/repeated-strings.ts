// A source block names the same connector, schema, database and table in every message of a topic, and a
// record key the same columns. Handing out the string read last time, when the bytes are the same, saves
// making it, and the decoder's lookups by these names (table names, connector kinds) find a string whose hash
// is already known.

/** Values longer than this are not remembered (names are short; anything else is read as it comes). */
const MAX_LENGTH = 64;

/**
 * The last string read in each of a fixed number of places (one per field), with its bytes.
 *
 * @example
 * const names = new RepeatedStrings(4)
 * names.lookup(3, bytes, start, end) ?? read() // then names.remember(3, bytes, start, end, text) after a read
 * names.lookup(3, bytes, start, end) // the same string object as last time, when the bytes are the same
 */
export class RepeatedStrings {
  readonly #bytes: (Buffer | undefined)[];
  readonly #texts: string[];

  constructor(places: number) {
    this.#bytes = Array.from({ length: places }, () => undefined);
    this.#texts = Array.from({ length: places }, () => '');
  }

  /**
   * The string read last time at `place` when `bytes[start, end)` are the bytes it was read from; else
   * undefined (then {@link remember} the string the caller reads).
   */
  lookup(place: number, bytes: Buffer, start: number, end: number): string | undefined {
    const known = this.#bytes[place];
    if (known === undefined || known.length !== end - start) return undefined;
    for (let offset = 0; offset < known.length; offset++) {
      if (known[offset] !== bytes[start + offset]) return undefined;
    }
    return this.#texts[place];
  }

  remember(place: number, bytes: Buffer, start: number, end: number, text: string): void {
    if (end - start > MAX_LENGTH) return;
    this.#bytes[place] = Buffer.from(bytes.subarray(start, end));
    this.#texts[place] = text;
  }
}
