/** A duration: milliseconds as a number, or a string such as `'500ms'`, `'30s'`, `'5m'`, `'2h'`, `'1d'`. */
export type Duration = number | string;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/;

/**
 * Parse a {@link Duration} into milliseconds, or return an error message naming the problem.
 *
 * @example
 * parseDuration('5m') // { ms: 300000 }
 * parseDuration('soon') // { error: "'soon' is not a duration such as '30s', '5m' or 1500 (ms)" }
 */
export function parseDuration(value: unknown): { ms: number } | { error: string } {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0
      ? { ms: value }
      : { error: `${value} is not a non-negative number of milliseconds` };
  }
  if (typeof value === 'string') {
    const match = DURATION_PATTERN.exec(value.trim());
    if (match) return { ms: Math.round(Number(match[1]) * UNIT_MS[match[2]!]!) };
  }
  return { error: `${JSON.stringify(value)} is not a duration such as '30s', '5m' or 1500 (ms)` };
}
