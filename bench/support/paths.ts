// What the end-to-end benchmarks measure the same way for each of their source paths.

import { percentile } from '../../scripts/demo/percentiles';
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

/**
 * Wait until every path streams: change row 0 (`change(n)`, n counting up, so each is a real change) after
 * caching its key, about once a second, until every path dropped that key.
 *
 * @example
 * await waitUntilStreaming({ mark, change: (n) => pg.query(..., [0, `probe ${n}`]), gone: { debezium: gone } })
 */
export async function waitUntilStreaming<Name extends string>(
  probe: Pick<LatencyProbe<Name>, 'mark' | 'gone'> & { change(n: number): Promise<unknown> },
  timeoutMs = 180_000,
): Promise<void> {
  let n = 0;
  await waitFor(
    async () => {
      await probe.mark(0);
      await probe.change(n++);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const gone of Object.values<(id: number) => Promise<boolean>>(probe.gone)) {
        if (!(await gone(0))) return false;
      }
      return true;
    },
    { description: `${Object.keys(probe.gone).join(' and ')} streaming`, timeoutMs, intervalMs: 500 },
  );
}

/** What {@link commitToGoneLatencies} needs: how to cache a row's key, change the row, and see each path drop the key. */
export interface LatencyProbe<Name extends string> {
  /** Rows 1 .. `changes`, one commit each. */
  readonly changes: number;
  /** Put the row's cache entry (of every path) in place. */
  mark(id: number): Promise<unknown>;
  /** Commit one change of the row; resolves when the commit returned. */
  commit(id: number): Promise<unknown>;
  /** Whether the path dropped the row's entry. */
  readonly gone: Readonly<Record<Name, (id: number) => Promise<boolean>>>;
}

/** One change of {@link commitToGoneLatencies} on one path. */
export interface ChangeTiming {
  readonly id: number;
  /** Commit returned -> key gone, ms (performance clock). */
  readonly latencyMs: number;
  /** When the commit was sent, when it returned and when the key was seen gone, ms since the epoch (to meet Kafka timestamps). */
  readonly commitSentAtMs: number;
  readonly committedAtMs: number;
  readonly goneAtMs: number;
}

/**
 * Commit returned -> key gone from Redis for each path, one change at a time (polled every millisecond).
 *
 * @example
 * const timings = await commitToGoneLatencies({ changes: 200, mark, commit, gone: { debezium: (id) => ... } })
 * percentile(timings.debezium.map((each) => each.latencyMs), 99)
 */
export async function commitToGoneLatencies<Name extends string>(
  probe: LatencyProbe<Name>,
): Promise<Record<Name, ChangeTiming[]>> {
  const names = Object.keys(probe.gone) as Name[];
  const timings = Object.fromEntries(names.map((name) => [name, [] as ChangeTiming[]])) as Record<
    Name,
    ChangeTiming[]
  >;
  for (let id = 1; id <= probe.changes; id++) {
    await probe.mark(id);
    const commitSentAtMs = Date.now();
    await probe.commit(id);
    const committed = performance.now();
    const committedAtMs = Date.now();
    const pending = new Set(names);
    while (pending.size > 0) {
      for (const name of pending) {
        if (await probe.gone[name](id)) {
          timings[name].push({
            id,
            latencyMs: performance.now() - committed,
            commitSentAtMs,
            committedAtMs,
            goneAtMs: Date.now(),
          });
          pending.delete(name);
        }
      }
      if (performance.now() - committed > 30_000) throw new Error(`change ${id} not invalidated within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }
  return timings;
}

/** The `p`-th percentile of latencies `ms` to a tenth of a millisecond, as the benchmarks report them; null when none. */
export function percentileMs(ms: readonly number[], p: number): number | null {
  const value = percentile(ms, p);
  return value === null ? null : round(value, 1);
}

/** The latencies of {@link commitToGoneLatencies}' timings, ms. */
export const latenciesMs = (timings: readonly ChangeTiming[]): number[] =>
  timings.map((each) => each.latencyMs);

/** The median of 100 awaited calls of `query` (a database's `SELECT 1`, a DynamoDB write: what every change pays at least), ms. */
export async function queryRoundTripMs(query: () => Promise<unknown>): Promise<number | null> {
  const times: number[] = [];
  for (let sample = 0; sample < 100; sample++) {
    const at = performance.now();
    await query();
    times.push(performance.now() - at);
  }
  return percentile(times, 50);
}
