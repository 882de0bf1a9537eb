// JSON numbers are doubles: an int64 column above 2^53 (snowflake ids, for instance) would silently lose
// digits and name the wrong cache key. Such integers are kept exact as decimal strings, which render the same
// key as the number would (the key encoding treats 42 and "42" alike). Debezium 3 puts 19-digit `ts_ns`
// fields in every message, so the exact path must be cheap: find long digit runs in one pass, quote those
// in a value position, and only if one was inside a string (the result is then never valid JSON) fall back to
// a tokenizer.
const LONG_RUN = 16;

/**
 * Parse JSON text, keeping integers beyond `Number.MAX_SAFE_INTEGER` exact as decimal strings.
 *
 * @example
 * parseJson('{"id":1234567890123456789,"n":42}') // { id: '1234567890123456789', n: 42 }
 */
export function parseJson(text: string): unknown {
  let quoted = '';
  let copiedUpTo = 0;
  let runStart = -1;
  const length = text.length;
  // A plain loop: a regex scan for digit runs costs more than JSON.parse itself on a 1 KB message.
  for (let index = 0; index <= length; index++) {
    const code = index < length ? text.charCodeAt(index) : 0;
    if (code >= 0x30 && code <= 0x39) {
      if (runStart < 0) runStart = index;
      continue;
    }
    if (runStart < 0) continue;
    const start = runStart > 0 && text.charCodeAt(runStart - 1) === 0x2d ? runStart - 1 : runStart;
    runStart = -1;
    if (index - start < LONG_RUN) continue;
    const literal = text.slice(start, index);
    if (Number.isSafeInteger(Number(literal)) || !startsValue(text, start) || !endsValue(text, index))
      continue;
    quoted += `${text.slice(copiedUpTo, start)}"${literal}"`;
    copiedUpTo = index;
  }
  if (copiedUpTo === 0) return JSON.parse(text);
  try {
    return JSON.parse(quoted + text.slice(copiedUpTo));
  } catch {
    // A digit run inside a string looked like a value (quoting it never leaves valid JSON): quote only
    // literals outside strings.
    return JSON.parse(quoteUnsafeIntegers(text));
  }
}

/** The run at `start` follows `:`, `,` or `[` (whitespace aside): a value, unless inside a string. */
function startsValue(text: string, start: number): boolean {
  let index = start - 1;
  while (index >= 0 && isSpace(text.charCodeAt(index))) index--;
  const code = text.charCodeAt(index);
  return code === 0x3a || code === 0x2c || code === 0x5b;
}

/** The run ending at `end` is followed by `,`, `}` or `]` (whitespace aside), and is not a fraction or exponent. */
function endsValue(text: string, end: number): boolean {
  let index = end;
  while (index < text.length && isSpace(text.charCodeAt(index))) index++;
  const code = text.charCodeAt(index);
  return code === 0x2c || code === 0x7d || code === 0x5d;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09;
}

/** Quote every unsafe integer literal outside strings. */
function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copiedUpTo = 0;
  let index = 0;
  const length = text.length;
  while (index < length) {
    const code = text.charCodeAt(index);
    if (code === 0x22 /* " */) {
      index++;
      while (index < length) {
        const inner = text.charCodeAt(index);
        if (inner === 0x5c /* \ */) index += 2;
        else if (inner === 0x22) break;
        else index++;
      }
      index++;
      continue;
    }
    if (code === 0x2d /* - */ || (code >= 0x30 && code <= 0x39)) {
      const start = index;
      index++;
      let integer = true;
      while (index < length) {
        const next = text.charCodeAt(index);
        if (next >= 0x30 && next <= 0x39) index++;
        else if (next === 0x2e || next === 0x65 || next === 0x45 || next === 0x2b || next === 0x2d) {
          integer = false;
          index++;
        } else break;
      }
      const literal = text.slice(start, index);
      if (integer && !Number.isSafeInteger(Number(literal))) {
        out += `${text.slice(copiedUpTo, start)}"${literal}"`;
        copiedUpTo = index;
      }
      continue;
    }
    index++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

/**
 * Does a parsed row hold a number beyond 2^53 (which JSON.parse has already rounded), at any depth? Then the
 * text is parsed again with {@link parseJson}. Walks with a stack, not recursion: a hostile row may nest
 * thousands of levels deep.
 *
 * @example
 * hasUnsafeInteger(JSON.parse('{"id":12345678901234567890}')) // true
 * hasUnsafeInteger(JSON.parse('{"ids":[[12345678901234567890]]}')) // true
 */
export function hasUnsafeInteger(row: unknown): boolean {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) return false;
  const pending: object[] = [row];
  while (pending.length > 0) {
    const container = pending.pop() as Record<string, unknown>;
    for (const name in container) {
      const value = container[name];
      if (typeof value === 'number') {
        if (value > Number.MAX_SAFE_INTEGER || value < Number.MIN_SAFE_INTEGER) return true;
      } else if (typeof value === 'object' && value !== null) pending.push(value);
    }
  }
  return false;
}
