// What the end-to-end benchmarks measure the same way for each of their source paths.

import { waitFor } from '../../scripts/stack/wait-for';
import { processCpuUs, round } from './limits';

/**
 * Milliseconds from `started` until each path's `done` check first held (polled every 5 ms).
 *
 * @example
 * const finished = await timeEachPath({ lambda: () => gone(a), poller: () => gone(b) }, started, { ... })
 */
export async function timeEachPath<Name extends string>(
  done: Readonly<Record<Name, () => Promise<boolean>>>,
  started: number,
  options: { readonly description: string; readonly timeoutMs: number },
): Promise<Record<Name, number>> {
  const names = Object.keys(done) as Name[];
  const finished: Partial<Record<Name, number>> = {};
  await waitFor(
    async () => {
      for (const name of names) {
        if (finished[name] === undefined && (await done[name]()))
          finished[name] = performance.now() - started;
      }
      return names.every((name) => finished[name] !== undefined);
    },
    { ...options, intervalMs: 5 },
  );
  return finished as Record<Name, number>;
}

/** CPU µs per change process `pid` spent since `beforeUs` (`null` where /proc cannot tell), to `digits`. */
export function cpuUsPerChange(
  pid: number,
  beforeUs: number | undefined,
  changes: number,
  digits: number,
): number | null {
  const afterUs = processCpuUs(pid);
  return beforeUs === undefined || afterUs === undefined
    ? null
    : round((afterUs - beforeUs) / changes, digits);
}
