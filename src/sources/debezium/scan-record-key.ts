import type { Row } from '../../core/change-event';
import { setOwnMember } from '../../core/set-own-member';
import { type ConnectSchema, convertWithSchema } from './convert-with-schema';
import {
  INVALID_VALUE,
  keyEquals,
  MEMBER_SPAN,
  MemberSpans,
  NOT_JSON,
  readKey,
  readValue,
  scanMembers,
  skipWhitespace,
} from './json-bytes';
import { KnownSchemas, startsWithMember } from './known-schemas';
import { RepeatedStrings } from './repeated-strings';

/** Record keys name the same few columns in every message: the names of the first ones, by position. */
const KEY_NAME_PLACES = 8;
const keyNames = new RepeatedStrings(KEY_NAME_PLACES);
const keySpans = new MemberSpans();

const SCHEMA = Buffer.from('schema');
const PAYLOAD = Buffer.from('payload');
const COLON = 0x3a;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACE = 0x7b;
/** Key schemas seen: the whole key is converted with its schema, as the full decoder converts it. */
const keySchemas = new KnownSchemas((schema) =>
  typeof schema === 'object' && schema !== null ? (schema as ConnectSchema) : undefined,
);

/**
 * Read a record key (JSON converter: a flat object of primary key columns, bare or as
 * `{ "schema": ..., "payload": ... }`, converted with its schema) straight from its bytes. Undefined for
 * anything else (another form, invalid JSON, a conversion that fails), which the caller parses.
 *
 * @example
 * scanRecordKey(Buffer.from('{"id":42}')) // { id: 42 }
 */
export function scanRecordKey(bytes: Buffer, topic = ''): Row | undefined {
  const start = skipWhitespace(bytes, 0);
  if (startsWithMember(bytes, start, SCHEMA)) return wrappedKey(bytes, start, topic);
  const end = flatKeyEnd(bytes, start);
  if (end === NOT_JSON || skipWhitespace(bytes, end) !== bytes.length) return undefined;
  return readFlatKey(bytes);
}

/** `{"schema":S,"payload":P}` in this order (Debezium's), P a flat key converted with S. */
function wrappedKey(bytes: Buffer, start: number, topic: string): Row | undefined {
  let index = skipWhitespace(bytes, start + 1) + SCHEMA.length + 2;
  index = skipWhitespace(bytes, index);
  if (bytes[index] !== COLON) return undefined;
  index = skipWhitespace(bytes, index + 1);
  if (bytes[index] !== OPEN_BRACE) return undefined;
  const schema = keySchemas.find(bytes, index, topic);
  if (schema === NOT_JSON || schema.value === undefined) return undefined;
  index = skipWhitespace(bytes, schema.end);
  if (bytes[index] !== COMMA) return undefined;
  index = skipWhitespace(bytes, index + 1);
  if (!keyAt(bytes, index, PAYLOAD)) return undefined;
  index = skipWhitespace(bytes, index + PAYLOAD.length + 2);
  if (bytes[index] !== COLON) return undefined;
  const end = flatKeyEnd(bytes, skipWhitespace(bytes, index + 1));
  if (end === NOT_JSON) return undefined;
  index = skipWhitespace(bytes, end);
  if (bytes[index] !== CLOSE_BRACE || skipWhitespace(bytes, index + 1) !== bytes.length) return undefined;
  const key = readFlatKey(bytes);
  if (key === undefined) return undefined;
  try {
    // A logical type on the whole key may make it something else than a row: the full decoder decides.
    const converted = convertWithSchema(key, schema.value);
    return converted === key ? key : undefined;
  } catch {
    // The full decoder throws the same error, with the record's position.
    return undefined;
  }
}

/** Is the quoted key at `at` exactly `name`? */
function keyAt(bytes: Buffer, at: number, name: Uint8Array): boolean {
  return (
    bytes[at] === 0x22 &&
    keyEquals(bytes, at, at + name.length + 2, name) &&
    bytes[at + name.length + 1] === 0x22
  );
}

/** Scan the flat key object at `start` into {@link keySpans}: the index past it, or NOT_JSON. */
function flatKeyEnd(bytes: Buffer, start: number): number {
  keySpans.clear();
  return scanMembers(bytes, start, keySpans);
}

/** The key columns of the last {@link flatKeyEnd}; undefined for a name or value it does not read. */
function readFlatKey(bytes: Buffer): Row | undefined {
  const key: Record<string, unknown> = {};
  const members = keySpans.values;
  for (let at = 0; at < keySpans.length; at += MEMBER_SPAN) {
    const keyStart = members[at]!;
    const keyEnd = members[at + 1]!;
    const name =
      members[at + 4] === 1
        ? readKey(bytes, keyStart, keyEnd)
        : plainName(bytes, at / MEMBER_SPAN, keyStart, keyEnd);
    if (name === undefined || name === 'payload' || name === 'schema') return undefined;
    const value = readValue(bytes, members[at + 2]!, members[at + 3]!);
    if (value === INVALID_VALUE) return undefined;
    setOwnMember(key, name, value);
  }
  return key;
}

/** The text of an unescaped key name spanning `[start, end)` (quotes included), the `place`-th of its key. */
function plainName(bytes: Buffer, place: number, start: number, end: number): string {
  if (place >= KEY_NAME_PLACES) return bytes.toString('utf8', start + 1, end - 1);
  let name = keyNames.lookup(place, bytes, start, end);
  if (name === undefined) {
    name = bytes.toString('utf8', start + 1, end - 1);
    keyNames.remember(place, bytes, start, end, name);
  }
  return name;
}
