import { performance } from 'node:perf_hooks';
import { CdcCacheError, ERROR_CODES } from '../../../src/errors';

/**
 * Inputs per property: a size that fits `npm test` by default; `npm run fuzz` sets CDC_CACHE_FUZZ_RUNS higher.
 */
export const FUZZ_RUNS = Number(process.env['CDC_CACHE_FUZZ_RUNS'] ?? 100);

/** The size of the huge strings and names the fuzzers write: larger under `npm run fuzz`. */
export const HUGE = process.env['CDC_CACHE_FUZZ_RUNS'] === undefined ? 4_000 : 100_000;

/** What one decoder made of one input: its result, or the code of the CdcCacheError it threw. */
export type Outcome<T> = { readonly ok: T } | { readonly code: string; readonly message: string };

/** Figures of a fuzz run, printed at the end of `npm run fuzz` (and kept in the README's RELIABILITY section). */
export const fuzzStats = {
  inputs: 0,
  rejected: 0,
  crashes: 0,
  disagreements: 0,
  slowestMs: 0,
  slowestInput: '',
};

/**
 * Run `decode` on one input, timing it. Anything thrown that is not a CdcCacheError with a known code fails
 * the property (a crash), naming the error.
 */
export function outcome<T>(label: string, decode: () => T): Outcome<T> {
  const started = performance.now();
  try {
    return { ok: decode() };
  } catch (error) {
    if (!(error instanceof CdcCacheError) || !(ERROR_CODES as readonly string[]).includes(error.code)) {
      fuzzStats.crashes++;
      throw new Error(
        `${label}: threw ${(error as Error)?.name ?? typeof error} without a code: ${String(error)}`,
      );
    }
    fuzzStats.rejected++;
    return { code: error.code, message: error.message };
  } finally {
    const elapsed = performance.now() - started;
    fuzzStats.inputs++;
    if (elapsed > fuzzStats.slowestMs) {
      fuzzStats.slowestMs = elapsed;
      fuzzStats.slowestInput = label;
    }
  }
}

/** Print the figures once the suite ends, when run through `npm run fuzz`. */
export function reportFuzzStats(suite: string): void {
  if (process.env['CDC_CACHE_FUZZ_RUNS'] === undefined) return;
  process.stdout.write(
    `${suite}: ${fuzzStats.inputs} decodes, ${fuzzStats.rejected} rejected with a code, ${fuzzStats.crashes} crashes, ${fuzzStats.disagreements} disagreements; slowest ${fuzzStats.slowestMs.toFixed(1)} ms (${fuzzStats.slowestInput})\n`,
  );
}

/**
 * The cost of one call of `run(size)` at `large` bytes divided by the cost of `large / small` calls at
 * `small` bytes: about 1 for linear work, about `large / small` for quadratic work. The best of several
 * rounds, so that a GC pause or a busy machine does not make it flake.
 */
export function costRatio(run: (size: number) => void, small = 1_000, large = 100_000, rounds = 3): number {
  const repeats = large / small;
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    const startSmall = performance.now();
    for (let repeat = 0; repeat < repeats; repeat++) run(small);
    const smallMs = performance.now() - startSmall;
    const startLarge = performance.now();
    run(large);
    const largeMs = performance.now() - startLarge;
    best = Math.min(best, largeMs / Math.max(smallMs, 0.05));
  }
  return best;
}
