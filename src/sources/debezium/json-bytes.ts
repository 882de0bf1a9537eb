// Byte-level JSON scanning over UTF-8 bytes: find where values end and read only the few values a caller
// wants, without building the rest (JSON.parse of a 1 KB Debezium message costs several microseconds and
// turns every column into garbage). Nothing here throws: anything unexpected returns NOT_JSON, and callers
// fall back to JSON.parse, which names the problem. Skipped values are checked for structure (brackets,
// quotes, literal characters) and raw control characters, not for escape sequences or number grammar.
import { parseJson } from './parse-json';
import { plainTextEnd } from './plain-text';

// A module-local constant: tsc compiles uses of an exported one to `exports.NOT_JSON` loads, in the hottest loops.
const INVALID = -1;
/** Returned when the bytes are not the JSON this scanner understands. */
export const NOT_JSON = INVALID;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const COLON = 0x3a;
const COMMA = 0x2c;
const MINUS = 0x2d;
const LOWER_T = 0x74;
const LOWER_F = 0x66;
const LOWER_N = 0x6e;
const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const JSON_INTEGER = /^-?\d+$/;
/** Integer literals this long may exceed 2^53 and are checked; shorter ones never do. */
const SAFE_INTEGER_DIGITS = 15;

/** Index of the first byte at or after `at` that is not JSON whitespace. */
export function skipWhitespace(bytes: Buffer, at: number): number {
  let index = at;
  const length = bytes.length;
  while (index < length) {
    const code = bytes[index]!;
    if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
    index++;
  }
  return index;
}

/**
 * Index just past the closing quote of the string opening at `at`, or NOT_JSON. Every byte is looked at, long
 * strings too (see plain-text.ts).
 */
function stringEnd(bytes: Buffer, at: number): number {
  let index = at + 1;
  for (;;) {
    index = plainTextEnd(bytes, index);
    const code = bytes[index];
    if (code === QUOTE) return index + 1;
    if (code !== BACKSLASH) return INVALID;
    index = escapeEnd(bytes, index);
    if (index === INVALID) return INVALID;
  }
}

/** Index past the escape sequence at `at` (a backslash), or NOT_JSON when JSON.parse would reject it. */
function escapeEnd(bytes: Buffer, at: number): number {
  const code = bytes[at + 1];
  // " \ / b f n r t
  if (code === QUOTE || code === BACKSLASH || code === 0x2f || code === 0x62 || code === 0x66) return at + 2;
  if (code === LOWER_N || code === 0x72 || code === LOWER_T) return at + 2;
  if (code !== 0x75 /* u */) return INVALID;
  for (let offset = 2; offset < 6; offset++) {
    const hex = bytes[at + offset]! | 0x20;
    if (!((hex >= 0x30 && hex <= 0x39) || (hex >= 0x61 && hex <= 0x66))) return INVALID;
  }
  return at + 6;
}

/** Index just past the value starting at `at` (no leading whitespace), or NOT_JSON. */
export function valueEnd(bytes: Buffer, at: number): number {
  const code = bytes[at];
  if (code === OPEN_BRACE || code === OPEN_BRACKET) return containerEnd(bytes, at);
  return scalarEnd(bytes, at);
}

/** Index just past the string, literal or number at `at`, or NOT_JSON. */
function scalarEnd(bytes: Buffer, at: number): number {
  const code = bytes[at];
  if (code === QUOTE) return stringEnd(bytes, at);
  if (code === LOWER_T) return wordEnd(bytes, at, TRUE);
  if (code === LOWER_F) return wordEnd(bytes, at, FALSE);
  if (code === LOWER_N) return wordEnd(bytes, at, NULL);
  if (code === MINUS || (code !== undefined && code >= 0x30 && code <= 0x39)) return numberEnd(bytes, at);
  return INVALID;
}

/** The brackets open around the value {@link containerEnd} is in; reused (scanning is synchronous). */
const open: number[] = [];

/**
 * Index just past the object or array at `at`, or NOT_JSON unless JSON.parse would accept it: the full
 * grammar, without recursion (a hostile message may nest thousands of levels deep).
 */
function containerEnd(bytes: Buffer, at: number): number {
  open.length = 0;
  let index = at;
  for (;;) {
    // At a value.
    const code = bytes[index];
    if (code === OPEN_BRACE || code === OPEN_BRACKET) {
      const close = code === OPEN_BRACE ? CLOSE_BRACE : CLOSE_BRACKET;
      index = skipWhitespace(bytes, index + 1);
      if (bytes[index] === close) index++;
      else {
        open.push(code);
        index = code === OPEN_BRACE ? memberValueStart(bytes, index) : index;
        if (index === INVALID) return INVALID;
        continue;
      }
    } else {
      index = scalarEnd(bytes, index);
      if (index === INVALID) return INVALID;
    }
    // After a value: a comma and the next value, or the closing bracket(s).
    for (;;) {
      if (open.length === 0) return index;
      index = skipWhitespace(bytes, index);
      const inObject = open[open.length - 1] === OPEN_BRACE;
      const next = bytes[index];
      if (next === COMMA) {
        index = skipWhitespace(bytes, index + 1);
        if (inObject) index = memberValueStart(bytes, index);
        if (index === INVALID) return INVALID;
        break;
      }
      if (next !== (inObject ? CLOSE_BRACE : CLOSE_BRACKET)) return INVALID;
      open.pop();
      index++;
    }
  }
}

/** At a member's key: the index of its value (after the colon), or NOT_JSON. */
function memberValueStart(bytes: Buffer, at: number): number {
  if (bytes[at] !== QUOTE) return INVALID;
  const keyEnd = stringEnd(bytes, at);
  if (keyEnd === INVALID) return INVALID;
  const colon = skipWhitespace(bytes, keyEnd);
  return bytes[colon] === COLON ? skipWhitespace(bytes, colon + 1) : INVALID;
}

function wordEnd(bytes: Buffer, at: number, word: readonly number[]): number {
  for (let offset = 0; offset < word.length; offset++) {
    if (bytes[at + offset] !== word[offset]) return INVALID;
  }
  return at + word.length;
}

/** Index past the number at `at`, or NOT_JSON when it breaks JSON's number grammar (`01`, `1.`, `1e`, `--1`). */
function numberEnd(bytes: Buffer, at: number): number {
  let index = bytes[at] === MINUS ? at + 1 : at;
  if (bytes[index] === 0x30) index++;
  else {
    const start = index;
    index = digitsEnd(bytes, index);
    if (index === start) return INVALID;
  }
  if (bytes[index] === 0x2e /* . */) {
    const start = ++index;
    index = digitsEnd(bytes, index);
    if (index === start) return INVALID;
  }
  if ((bytes[index]! | 0x20) === 0x65 /* e E */) {
    index++;
    if (bytes[index] === 0x2b || bytes[index] === MINUS) index++;
    const start = index;
    index = digitsEnd(bytes, index);
    if (index === start) return INVALID;
  }
  return index;
}

function digitsEnd(bytes: Buffer, at: number): number {
  let index = at;
  const length = bytes.length;
  while (index < length) {
    const code = bytes[index]!;
    if (code < 0x30 || code > 0x39) break;
    index++;
  }
  return index;
}

/** Numbers {@link scanMembers} records per member. */
export const MEMBER_SPAN = 5;

/** Where an object's members are, reused from message to message (clearing keeps the storage). */
export class MemberSpans {
  /** {@link MEMBER_SPAN} numbers per member, see {@link scanMembers}; only the first `length` are current. */
  readonly values: number[] = [];
  length = 0;

  clear(): void {
    this.length = 0;
  }

  add(keyStart: number, keyEnd: number, valueStart: number, valueEnd: number, escaped: number): void {
    const { values } = this;
    const at = this.length;
    values[at] = keyStart;
    values[at + 1] = keyEnd;
    values[at + 2] = valueStart;
    values[at + 3] = valueEnd;
    values[at + 4] = escaped;
    this.length = at + MEMBER_SPAN;
  }
}

/**
 * Scan the object starting at `at` (no leading whitespace), adding {@link MEMBER_SPAN} numbers per
 * member to `spans`: the key's span including its quotes, the value's span, and 1 when the key holds an
 * escape sequence (else 0). Returns the index just past the object, or NOT_JSON. Members are recorded,
 * not visited, so the caller can decide what to read once the whole message is scanned.
 */
export function scanMembers(bytes: Buffer, at: number, spans: MemberSpans): number {
  if (bytes[at] !== OPEN_BRACE) return INVALID;
  let index = skipWhitespace(bytes, at + 1);
  if (bytes[index] === CLOSE_BRACE) return index + 1;
  for (;;) {
    if (bytes[index] !== QUOTE) return INVALID;
    const keyStart = index;
    let escaped = 0;
    index = plainTextEnd(bytes, index + 1);
    while (bytes[index] === BACKSLASH) {
      escaped = 1;
      index = escapeEnd(bytes, index);
      if (index === INVALID) return INVALID;
      index = plainTextEnd(bytes, index);
    }
    if (bytes[index] !== QUOTE) return INVALID;
    const keyEnd = index + 1;
    // Compact JSON (as Kafka Connect writes it) has no whitespace: test for it before skipping it.
    index = bytes[keyEnd] === COLON ? keyEnd : skipWhitespace(bytes, keyEnd);
    if (bytes[index] !== COLON) return INVALID;
    let valueStart = index + 1;
    if (bytes[valueStart]! <= 0x20) valueStart = skipWhitespace(bytes, valueStart);
    // Strings and numbers, most values, without the dispatch of valueEnd.
    const code = bytes[valueStart];
    const end =
      code === QUOTE
        ? stringEnd(bytes, valueStart)
        : code !== undefined && code >= 0x30 && code <= 0x39
          ? numberEnd(bytes, valueStart)
          : valueEnd(bytes, valueStart);
    if (end === INVALID) return INVALID;
    spans.add(keyStart, keyEnd, valueStart, end, escaped);
    index = end;
    let next = bytes[index];
    if (next !== COMMA && next !== CLOSE_BRACE) {
      index = skipWhitespace(bytes, index);
      next = bytes[index];
    }
    if (next === CLOSE_BRACE) return index + 1;
    if (next !== COMMA) return INVALID;
    index++;
    if (bytes[index] !== QUOTE) index = skipWhitespace(bytes, index);
  }
}

/**
 * Is the key whose quoted span is `[start, end)` exactly `name` (UTF-8 bytes)? A key written with an
 * escape sequence never matches; see {@link readKey}.
 */
export function keyEquals(bytes: Buffer, start: number, end: number, name: Uint8Array): boolean {
  if (end - start - 2 !== name.length) return false;
  for (let offset = 0; offset < name.length; offset++) {
    if (bytes[start + 1 + offset] !== name[offset]) return false;
  }
  return true;
}

/** Does the quoted span `[start, end)` hold an escape sequence? */
export function hasEscape(bytes: Buffer, start: number, end: number): boolean {
  for (let index = start + 1; index < end - 1; index++) if (bytes[index] === BACKSLASH) return true;
  return false;
}

/** The text of the key whose quoted span is `[start, end)`, escapes decoded; undefined for a malformed escape. */
export function readKey(bytes: Buffer, start: number, end: number): string | undefined {
  if (!hasEscape(bytes, start, end)) return bytes.toString('utf8', start + 1, end - 1);
  const text = parseOrInvalid(bytes.toString('utf8', start, end));
  return typeof text === 'string' ? text : undefined;
}

/** Returned by {@link readValue} for a value JSON.parse would reject. */
export const INVALID_VALUE: unique symbol = Symbol('invalid JSON value');

/**
 * The value spanning `[start, end)`, as JSON.parse would give it, except that an integer beyond 2^53 is
 * kept exact as its decimal string (see parse-json.ts). INVALID_VALUE when the bytes are not valid JSON.
 */
export function readValue(bytes: Buffer, start: number, end: number): unknown {
  const code = bytes[start];
  if (code === QUOTE) {
    // One ASCII character (an op code): V8 keeps these strings, and Buffer.toString is a call into C++.
    const only = bytes[start + 1]!;
    if (end - start === 3 && only < 0x80 && only !== BACKSLASH) return String.fromCharCode(only);
    if (hasEscape(bytes, start, end)) return parseOrInvalid(bytes.toString('utf8', start, end));
    return bytes.toString('utf8', start + 1, end - 1);
  }
  if (code === MINUS || (code !== undefined && code >= 0x30 && code <= 0x39)) {
    const integer = smallInteger(bytes, start, end);
    if (integer !== undefined) return integer;
  }
  if (code === LOWER_T) return true;
  if (code === LOWER_F) return false;
  if (code === LOWER_N) return null;
  if (code === OPEN_BRACE || code === OPEN_BRACKET) {
    try {
      return parseJson(bytes.toString('utf8', start, end));
    } catch {
      return INVALID_VALUE;
    }
  }
  const text = bytes.toString('latin1', start, end);
  if (!JSON_NUMBER.test(text)) return INVALID_VALUE;
  const number = Number(text);
  if (text.length > SAFE_INTEGER_DIGITS && !Number.isSafeInteger(number) && JSON_INTEGER.test(text)) {
    return text;
  }
  return number;
}

/** A plain integer literal of at most 15 digits, read without making a string; else undefined. */
function smallInteger(bytes: Buffer, start: number, end: number): number | undefined {
  const negative = bytes[start] === MINUS;
  const first = negative ? start + 1 : start;
  const digits = end - first;
  if (digits < 1 || digits > SAFE_INTEGER_DIGITS || (digits > 1 && bytes[first] === 0x30)) return undefined;
  let value = 0;
  for (let index = first; index < end; index++) {
    const digit = bytes[index]! - 0x30;
    if (digit < 0 || digit > 9) return undefined;
    value = value * 10 + digit;
  }
  return negative ? -value : value;
}

function parseOrInvalid(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return INVALID_VALUE;
  }
}
