/**
 * The p-th percentile (0-100) of samples by nearest rank, or null when there are none.
 *
 * @example
 * percentile([5, 1, 3], 50) // 3
 */
export function percentile(samples: readonly number[], p: number): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}
