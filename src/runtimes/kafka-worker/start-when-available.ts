import type { WorkerLogger } from './worker-logger';

/** Bounds of {@link startWhenAvailable}'s retries. */
export interface StartRetryOptions {
  /** First wait between attempts. Default 1 s. */
  readonly initialDelayMs?: number;
  /** Longest wait between attempts. Default 30 s. */
  readonly maxDelayMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The kafkajs error names that mean "not yet", not "never": a broker away, or a topic not created yet. */
const TRANSIENT_KAFKA_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSBrokerNotFound',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSLockTimeout',
]);

/**
 * True when starting again later may succeed. Debezium creates a table's topic on the table's first
 * change, so a listed topic that does not exist yet is normal on a first deployment; so is a broker that is
 * still starting. Authentication and configuration errors are not retried.
 *
 * @example
 * isTransientStartError(Object.assign(new Error('...'), { name: 'KafkaJSProtocolError', retriable: true })) // true
 */
export function isTransientStartError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'KafkaJSSASLAuthenticationError') return false;
  const retriable = (error as Error & { retriable?: unknown }).retriable === true;
  return retriable || TRANSIENT_KAFKA_ERRORS.has(error.name) || isTransientStartError(error.cause);
}

/**
 * Start a consumer, retrying transient failures with bounded exponential backoff until it runs. Each retry gets a fresh consumer from `build` (a failed kafkajs consumer
 * is not restarted), and the failed one is stopped first. The worker stays not ready (/readyz) meanwhile.
 *
 * @example
 * worker = await startWhenAvailable(buildWorker, { logger })
 */
export async function startWhenAvailable<Worker extends { start(): Promise<void>; stop(): Promise<void> }>(
  build: () => Worker,
  context: { logger: WorkerLogger; onAttempt?: (worker: Worker) => void },
  options: StartRetryOptions = {},
): Promise<Worker> {
  const initialDelayMs = options.initialDelayMs ?? 1_000;
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let attempt = 1; ; attempt++) {
    const worker = build();
    context.onAttempt?.(worker);
    try {
      await worker.start();
      return worker;
    } catch (error) {
      await worker.stop().catch(() => undefined);
      if (!isTransientStartError(error)) throw error;
      const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
      context.logger.warn(
        { err: error, attempt, retryInMs: delayMs },
        'cannot start consuming yet (a topic that does not exist yet, or Kafka unreachable): retrying',
      );
      await sleep(delayMs);
    }
  }
}
