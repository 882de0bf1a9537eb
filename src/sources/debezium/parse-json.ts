// JSON numbers are doubles: an int64 column above 2^53 (snowflake ids, for instance) would silently lose
// digits and name the wrong cache key. Such integers are rare, so the fast path is plain JSON.parse and only
// a text that may hold one (16 or more digits in a row) takes the slower, exact path.
const LONG_DIGIT_RUN = /\d{16}/;
const BIGINT_MARKER = '\u0000cdc-cache:bigint:';

/**
 * Parse JSON text, keeping integers beyond `Number.MAX_SAFE_INTEGER` exact as `bigint`.
 *
 * @example
 * parseJson('{"id":1234567890123456789}') // { id: 1234567890123456789n }
 */
export function parseJson(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  const marked = markUnsafeIntegers(text);
  if (marked === text) return JSON.parse(text);
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(BIGINT_MARKER)
      ? BigInt(value.slice(BIGINT_MARKER.length))
      : value,
  );
}

/** Quote every unsafe integer literal outside strings with a marker the reviver turns into a bigint. */
function markUnsafeIntegers(text: string): string {
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
        out += `${text.slice(copiedUpTo, start)}"\\u0000cdc-cache:bigint:${literal}"`;
        copiedUpTo = index;
      }
      continue;
    }
    index++;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}
