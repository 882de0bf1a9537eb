/**
 * The key encoding rule, shared by the SDK and the worker so both build byte-identical keys.
 *
 * - A template is split into segments by the separator characters `: / # |`. Each placeholder fills
 *   exactly one whole segment (validated when the keyspace is defined).
 * - A value is turned into text (numbers and bigints in decimal, booleans as `true`/`false`, dates as
 *   ISO-8601), then every separator, `%`, `{`, `}`, whitespace and control character is percent-encoded
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
 */
export const KEY_SEPARATORS = [':', '/', '#', '|'] as const;

/** The values a key placeholder accepts. */
export type KeyValue = string | number | bigint | boolean | Date;

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

/** Turn a placeholder value into its canonical text, or `undefined` when it cannot be part of a key. */
export function keyValueText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value.length > 0 ? value : undefined;
    case 'number':
      return Number.isFinite(value) ? String(value === 0 ? 0 : value) : undefined;
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return value instanceof Date && !Number.isNaN(value.getTime()) ? value.toISOString() : undefined;
  }
}

/**
 * Encode one placeholder value for use in a key. Returns `undefined` for null, undefined, the empty
 * string, objects and non-finite numbers, which can never name a row.
 *
 * @example
 * encodeKeyValue('a:b{c}') // 'a%3Ab%7Bc%7D'
 * encodeKeyValue(42) // '42'
 */
export function encodeKeyValue(value: unknown): string | undefined {
  const text = keyValueText(value);
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
