import { keyEquals, NOT_JSON, skipWhitespace, valueEnd } from './json-bytes';

const OPEN_BRACE = 0x7b;
const QUOTE = 0x22;

/**
 * What was made of each Kafka Connect schema block seen (`schemas.enable=true`): a topic repeats its
 * schema byte for byte in every message, so a schema is looked for among the last few seen on the same
 * topic, compared byte for byte (natively, every byte), and parsed and read by `build` only the first
 * time. Bounded in topics, schemas per topic, the size of a schema kept and the bytes kept in all.
 *
 * @example
 * const plans = new KnownSchemas((schema) => envelopePlan(schema))
 * plans.find(bytes, at, topic) // { end, value } or NOT_JSON
 */
export class KnownSchemas<T> {
  /** Schemas kept per topic: a topic's schema changes with its table's DDL, rarely more than once at a time. */
  static readonly PER_TOPIC = 4;
  static readonly MAX_TOPICS = 4096;
  /** Larger schemas are built again in every message instead of kept. */
  static readonly MAX_SCHEMA_BYTES = 256 * 1024;
  /** All kept schemas together; beyond it (or MAX_TOPICS) the cache starts over. */
  static readonly MAX_TOTAL_BYTES = 64 * 1024 * 1024;
  readonly #topics = new Map<string, { readonly bytes: Buffer; readonly value: T }[]>();
  #keptBytes = 0;

  constructor(private readonly build: (schema: unknown) => T) {}

  /**
   * The schema value starting at `start` in a message of `topic`: its end and what `build` made of it;
   * NOT_JSON when not valid JSON.
   */
  find(bytes: Buffer, start: number, topic: string): { end: number; value: T } | typeof NOT_JSON {
    let entries = this.#topics.get(topic);
    if (entries !== undefined) {
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
    if (entries === undefined) {
      if (this.#topics.size >= KnownSchemas.MAX_TOPICS || this.#keptBytes > KnownSchemas.MAX_TOTAL_BYTES) {
        this.#topics.clear();
        this.#keptBytes = 0;
      }
      entries = [];
      this.#topics.set(topic, entries);
    }
    if (entries.length >= KnownSchemas.PER_TOPIC) this.#keptBytes -= entries.pop()!.bytes.length;
    entries.unshift({ bytes: Buffer.from(bytes.subarray(start, end)), value });
    this.#keptBytes += end - start;
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
