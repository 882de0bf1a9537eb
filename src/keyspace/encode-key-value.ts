import { canonicalKeyText } from './canonical-key-text';
import type { ColumnType } from './column-type';

/**
 * The key encoding rule, shared by the SDK and the worker so both build byte-identical keys.
 *
 * - A template is split into segments by the separator characters `: / # |`. Each placeholder fills
 *   exactly one whole segment (validated when the keyspace is defined).
 * - A value is turned into its canonical text (canonical-key-text.ts: one text per column type, the same
 *   for what a driver returns and what a change event decodes to), then every separator, `%`, `{`, `}`, whitespace and control character is percent-encoded
 *   as `%XX` (UTF-8 bytes). A lone UTF-16 surrogate (not valid unicode, but a JavaScript string may hold
 *   one) is encoded as the three bytes of its code unit (`\uD800` -> `%ED%A0%80`): Redis stores keys as
 *   UTF-8, where every lone surrogate would otherwise become the same replacement character. All other
 *   characters, unicode included, are kept as they are.
 * - A value that fills the FIRST segment of a key also has a leading `_` encoded (`%5F`), so no rendered
 *   key can start with the reserved `_cc:` of cdc-cache's own keys.
 * - Because `%` itself is encoded, the encoding is injective, and because an encoded value never contains
 *   a separator, a key splits back into exactly one value per placeholder: two different rows can never
 *   produce the same key. The number 42 and the string "42" produce the same key on purpose: a database
 *   driver and a CDC decoder may type the same column differently.
 * - No rendered key can fall inside cdc-cache's internal namespace (`<prefix>_cc:`), whatever a row holds.
 */
export const KEY_SEPARATORS = [':', '/', '#', '|'] as const;

/** The values a key placeholder accepts. */
export type KeyValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | { readonly value: string; toAttributeValue(): unknown };

const MUST_ESCAPE = /[%{}:/#|\s\p{Cc}\p{Cs}]/gu;
/** 1 for each printable ASCII character the rule keeps as it is. */
const KEPT_ASCII = new Uint8Array(128).map((_zero, code) =>
  code > 0x20 && code < 0x7f && !'%{}:/#|'.includes(String.fromCharCode(code)) ? 1 : 0,
);

function hexByte(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function percentEncode(char: string): string {
  const code = char.charCodeAt(0);
  if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
    // WTF-8 bytes of the lone surrogate: never produced by valid UTF-8, so still injective.
    return (
      hexByte(0xe0 | (code >> 12)) + hexByte(0x80 | ((code >> 6) & 0x3f)) + hexByte(0x80 | (code & 0x3f))
    );
  }
  return Array.from(Buffer.from(char, 'utf8'), hexByte).join('');
}

/**
 * Encode one placeholder value for use in a key: its canonical text (see canonical-key-text.ts), then
 * percent-encoded. Returns `undefined` for null, undefined and the empty string, which can never name a row;
 * throws `CDC_INVALID_KEY_PARAMS` for a value no key of that type can hold (an object, NaN, an untyped Date).
 *
 * @example
 * encodeKeyValue('a:b{c}') // 'a%3Ab%7Bc%7D'
 * encodeKeyValue(42) // '42'
 * encodeKeyValue(new Date(2024, 0, 2), { name: 'date' }) // '2024-01-02'
 */
export function encodeKeyValue(value: unknown, type?: ColumnType): string | undefined {
  const text = canonicalKeyText(value, type);
  if (text === undefined) return undefined;
  // Most values (ids, emails, slugs) are plain ASCII with nothing to encode: a loop beats the regex.
  return isKeptAscii(text) ? text : text.replace(MUST_ESCAPE, percentEncode);
}

function isKeptAscii(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    if (KEPT_ASCII[text.charCodeAt(index)] !== 1) return false;
  }
  return true;
}
