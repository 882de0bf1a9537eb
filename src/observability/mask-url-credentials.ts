/**
 * Every URL in `text` with its userinfo (user name and password) replaced by `***`: the one masking rule for
 * log lines, configuration errors and the startup configuration. A URL runs from its `scheme://` to the
 * next whitespace or quote, and its userinfo ends at the LAST `@` in it: a host never holds an `@`, while
 * a password may hold `@`, `/`, `:`, `#` or `?` unencoded (then URL parsing splits it wrongly or fails,
 * and a parse-based mask prints part of it). With `whole`, the text is one URL (a configuration value),
 * so a password holding a space or a quote is masked too. Linear time.
 *
 * @example
 * maskUrlCredentials('redis://worker:p@ss/w:rd@cache:6379/0') // 'redis://***@cache:6379/0'
 * maskUrlCredentials("got 'rediss://:s3cret@cache:6380'") // "got 'rediss://***@cache:6380'"
 */
export function maskUrlCredentials(text: string, { whole = false }: { whole?: boolean } = {}): string {
  let out = '';
  let copied = 0;
  let scheme = text.indexOf('://');
  while (scheme >= 0) {
    const start = scheme + 3;
    let end = start;
    let lastAt = -1;
    while (end < text.length && (whole || !ENDS_URL.has(text.charCodeAt(end)))) {
      if (text.charCodeAt(end) === 0x40 /* @ */) lastAt = end;
      end++;
    }
    if (lastAt >= 0) {
      out += `${text.slice(copied, start)}***`;
      copied = lastAt;
    }
    scheme = text.indexOf('://', end);
  }
  return copied === 0 ? text : out + text.slice(copied);
}

/** Whitespace and quotes: where a URL written inside a message ends. */
const ENDS_URL = new Set([0x20, 0x09, 0x0a, 0x0d, 0x22, 0x27, 0x60]);
