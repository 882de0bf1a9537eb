// JSON numbers are doubles: an int64 column above 2^53 (snowflake ids, for instance) would silently lose
// digits and name the wrong cache key. Such integers are kept exact as decimal strings, which render the same
// key as the number would (the key encoding treats 42 and "42" alike). Debezium 3 puts 19-digit `ts_ns`
// fields in every message, so the exact path must be cheap: quote long integer literals with one regex,
// and only if that lands inside a string (the result is then never valid JSON) fall back to a tokenizer.
const LONG_DIGIT_RUN = /\d{16}/;
const LONG_INTEGER_VALUE = /([:,[]\s*)(-?\d{16,})(?=\s*[,}\]])/g;

/**
 * Parse JSON text, keeping integers beyond `Number.MAX_SAFE_INTEGER` exact as decimal strings.
 *
 * @example
 * parseJson('{"id":1234567890123456789,"n":42}') // { id: '1234567890123456789', n: 42 }
 */
export function parseJson(text: string): unknown {
  if (!LONG_DIGIT_RUN.test(text)) return JSON.parse(text);
  const quoted = text.replace(LONG_INTEGER_VALUE, quoteUnsafe);
  if (quoted === text) return JSON.parse(text);
  try {
    return JSON.parse(quoted);
  } catch {
    // The regex matched digits inside a string: quote only literals outside strings.
    return JSON.parse(quoteUnsafeIntegers(text));
  }
}

function quoteUnsafe(match: string, before: string, digits: string): string {
  return Number.isSafeInteger(Number(digits)) ? match : `${before}"${digits}"`;
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
