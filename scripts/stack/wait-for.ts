/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** What is awaited, for the timeout message ("connector abc RUNNING"). */
  readonly description: string;
  /** Give up after this long. Default 30 000 ms. */
  readonly timeoutMs?: number;
  /** Pause between two checks. Default 100 ms. */
  readonly intervalMs?: number;
}

/** The error {@link waitFor} throws when time runs out; `cause` is the last error the check threw, if any. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

const describe = (value: unknown): string => {
  if (value instanceof Error) return value.message;
  try {
    return JSON.stringify(value)?.slice(0, 300) ?? String(value);
  } catch {
    return String(value);
  }
};

/**
 * Poll `check` until it returns a value other than `undefined`, `null` or `false`, and return that value.
 * A check that throws is retried; after `timeoutMs` a {@link WaitTimeoutError} names what was awaited and
 * the last value or error seen. No fixed sleeps: the wait ends as soon as the condition holds.
 *
 * @example
 * const status = await waitFor(async () => (await getStatus()).state === 'RUNNING' || undefined, {
 *   description: 'connector RUNNING',
 *   timeoutMs: 60_000,
 * })
 */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitForOptions,
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const intervalMs = options.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let last: { value?: unknown; error?: unknown } = {};
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== null && value !== false) return value;
      last = { value };
    } catch (error) {
      last = { error };
    }
    if (Date.now() >= deadline) {
      const seen =
        'error' in last ? `last error: ${describe(last.error)}` : `last value: ${describe(last.value)}`;
      throw new WaitTimeoutError(
        `Timed out after ${timeoutMs} ms waiting for ${options.description} (${seen})`,
        {
          cause: last.error,
        },
      );
    }
    await new Promise((resolve) =>
      setTimeout(resolve, Math.min(intervalMs, Math.max(0, deadline - Date.now()))),
    );
  }
}
