import { keyEquals, NOT_JSON, skipWhitespace, valueEnd } from './json-bytes';

const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;

/**
 * What was made of each Kafka Connect schema block seen (`schemas.enable=true`): a topic repeats its
 * schema byte for byte in every message, so a schema is found by comparing its bytes (natively, every
 * byte) with those seen before, most recent first, and parsed and read by `build` only the first time.
 * Bounded in entries and in the size of a schema kept.
 *
 * @example
 * const plans = new KnownSchemas((schema) => envelopePlan(schema))
 * plans.find(bytes, at) // { end, value } or NOT_JSON
 */
export class KnownSchemas<T> {
  static readonly MAX_ENTRIES = 32;
  /** Larger schemas are built again in every message instead of kept (memory stays under 32 × 256 KiB). */
  static readonly MAX_SCHEMA_BYTES = 256 * 1024;
  readonly #entries: { readonly bytes: Buffer; readonly value: T }[] = [];

  constructor(private readonly build: (schema: unknown) => T) {}

  /** The schema value starting at `start`: its end and what `build` made of it; NOT_JSON when not valid JSON. */
  find(bytes: Buffer, start: number): { end: number; value: T } | typeof NOT_JSON {
    const entries = this.#entries;
    for (let index = 0; index < entries.length; index++) {
      const known = entries[index]!;
      const end = start + known.bytes.length;
      if (end <= bytes.length && bytes.compare(known.bytes, 0, known.bytes.length, start, end) === 0) {
        if (index > 0) {
          entries.splice(index, 1);
          entries.unshift(known);
        }
        return { end, value: known.value };
      }
    }
    const end = valueEnd(bytes, start);
    if (end === NOT_JSON) return NOT_JSON;
    let schema: unknown;
    try {
      schema = JSON.parse(bytes.toString('utf8', start, end));
    } catch {
      return NOT_JSON;
    }
    const value = this.build(schema);
    if (end - start > KnownSchemas.MAX_SCHEMA_BYTES) return { end, value };
    if (entries.length >= KnownSchemas.MAX_ENTRIES) entries.pop();
    entries.unshift({ bytes: Buffer.from(bytes.subarray(start, end)), value });
    return { end, value };
  }
}

/**
 * Does the object at `start` open with the member name `name` (written without escapes)? How a
 * `{ schema, payload }` wrapper is told from a bare message before scanning it.
 */
export function startsWithMember(bytes: Buffer, start: number, name: Uint8Array): boolean {
  if (bytes[start] !== OPEN_BRACE) return false;
  const keyStart = skipWhitespace(bytes, start + 1);
  const keyEnd = keyStart + name.length + 2;
  return bytes[keyStart] === QUOTE && bytes[keyEnd - 1] === QUOTE && keyEquals(bytes, keyStart, keyEnd, name);
}
