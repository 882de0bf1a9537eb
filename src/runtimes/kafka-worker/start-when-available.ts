import { type BackoffOptions, createBackoff } from '../shared/backoff';
import type { WorkerLogger } from './worker-logger';

/** Bounds of {@link startWhenAvailable}'s retries: the shared backoff (default 1 s doubling to 30 s, ±20%). */
export interface StartRetryOptions extends BackoffOptions {
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The Kafka client's error codes that mean "not yet", not "never": a broker away or slow to answer. */
const TRANSIENT_KAFKA_ERRORS = new Set(['PLT_KFK_NETWORK', 'PLT_KFK_TIMEOUT']);

/**
 * True when starting again later may succeed. Debezium creates a table's topic on the table's first
 * change, so a listed topic that does not exist yet is normal on a first deployment; so is a broker that is
 * still starting. Authentication and configuration errors are not retried.
 *
 * @example
 * isTransientStartError(Object.assign(new Error('...'), { code: 'PLT_KFK_NETWORK' })) // true
 */
export function isTransientStartError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const { code, retriable, canRetry, errors } = error as Error & {
    code?: unknown;
    retriable?: unknown;
    canRetry?: unknown;
    errors?: unknown;
  };
  if (code === 'PLT_KFK_AUTHENTICATION') return false;
  // A protocol error the broker marks retriable, e.g. UNKNOWN_TOPIC_OR_PARTITION for a topic not created yet.
  if (retriable === true || canRetry === true || TRANSIENT_KAFKA_ERRORS.has(String(code))) return true;
  if (Array.isArray(errors) && errors.some(isTransientStartError)) return true;
  return isTransientStartError(error.cause);
}

/**
 * Start a consumer, retrying transient failures with the shared bounded backoff until it runs. Each
 * retry gets a fresh consumer from `build` (a failed consumer is not restarted), and the failed
 * one is stopped first. The worker stays not ready (/readyz) meanwhile.
 *
 * @example
 * worker = await startWhenAvailable(buildWorker, { logger })
 */
export async function startWhenAvailable<Worker extends { start(): Promise<void>; stop(): Promise<void> }>(
  build: () => Worker,
  context: { logger: WorkerLogger; onAttempt?: (worker: Worker) => void },
  options: StartRetryOptions = {},
): Promise<Worker> {
  const { sleep: injectedSleep, ...bounds } = options;
  const backoff = createBackoff({ initialMs: 1_000, maxMs: 30_000, ...bounds });
  const sleep = injectedSleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (;;) {
    const worker = build();
    context.onAttempt?.(worker);
    try {
      await worker.start();
      return worker;
    } catch (error) {
      await worker.stop().catch(() => undefined);
      if (!isTransientStartError(error)) throw error;
      const delayMs = backoff.next();
      context.logger.warn(
        { err: error, attempt: backoff.attempts, retryInMs: delayMs },
        'cannot start consuming yet (a topic that does not exist yet, or Kafka unreachable): retrying',
      );
      await sleep(delayMs);
    }
  }
}
