/** Options of {@link handleShutdownSignals}. */
export interface ShutdownOptions {
  /** Stop gracefully: finish in-flight work, commit, disconnect. */
  readonly stop: (signal: string) => Promise<void>;
  /** Exit anyway after this long (default 25s, under the 30s most orchestrators wait before SIGKILL). */
  readonly timeoutMs?: number;
  /** Called with the exit code once stopped, or on timeout (default `process.exit`). */
  readonly exit?: (code: number) => void;
  /** Told what happens (default: nothing). */
  readonly log?: (level: 'info' | 'error', message: string, error?: unknown) => void;
  /** The signals to handle (default SIGTERM and SIGINT). */
  readonly signals?: readonly NodeJS.Signals[];
  /** Where the signals come from (default `process`). */
  readonly emitter?: Pick<NodeJS.Process, 'on' | 'off'>;
}

/** The defaults of {@link handleShutdownSignals}. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

/**
 * On SIGTERM or SIGINT, run `stop` once and exit 0 when it resolves; exit 1 if it fails, outlasts
 * `timeoutMs`, or a second signal arrives (an impatient operator). Returns a function that removes the
 * handlers.
 *
 * @example
 * handleShutdownSignals({ stop: () => worker.stop(), timeoutMs: 25_000 })
 */
export function handleShutdownSignals(options: ShutdownOptions): () => void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const log = options.log ?? (() => undefined);
  const emitter = options.emitter ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const timeoutMs = options.timeoutMs ?? DEFAULT_SHUTDOWN_TIMEOUT_MS;
  let stopping = false;
  let done = false;
  const finish = (code: number) => {
    if (done) return;
    done = true;
    exit(code);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log('error', `${signal} received again: exiting now`);
      finish(1);
      return;
    }
    stopping = true;
    log('info', `${signal} received: stopping (at most ${timeoutMs} ms)`);
    const timer = setTimeout(() => {
      log('error', `shutdown did not finish within ${timeoutMs} ms: exiting`);
      finish(1);
    }, timeoutMs);
    timer.unref();
    options.stop(signal).then(
      () => {
        clearTimeout(timer);
        log('info', 'stopped');
        finish(0);
      },
      (error: unknown) => {
        clearTimeout(timer);
        log('error', 'shutdown failed', error);
        finish(1);
      },
    );
  };
  for (const signal of signals) emitter.on(signal, onSignal);
  return () => {
    for (const signal of signals) emitter.off(signal, onSignal);
  };
}
