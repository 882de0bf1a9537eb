import { backoffDelay, type RetryControl, type RetryOptions, retry } from '../../core/retry';
import type { WorkerLogger } from './worker-logger';

/** Bounds of {@link startWhenAvailable}'s retries (default {@link START_RETRY_DEFAULTS}). */
export interface StartRetryOptions extends Partial<Omit<RetryOptions, 'retries'>> {
  /** Injected for tests. */
  readonly sleep?: RetryControl['sleep'];
  /** Random source in [0, 1) of the jitter (tests). */
  readonly random?: () => number;
}

/** Defaults of {@link startWhenAvailable}: 1 s doubling to 30 s, ±20%, until it starts. */
export const START_RETRY_DEFAULTS = Object.freeze({
  initialDelayMs: 1_000,
  maxDelayMs: 30_000,
  factor: 2,
  jitter: 0.2,
});

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
  // The client wraps a failed login in network errors (Connection failed → SASL authentication failed).
  if (someInTree(error, isAuthenticationError)) return false;
  return someInTree(error, (one) => {
    // The client's metadata step names a topic that does not exist yet as a UserError (not retriable to it):
    // Debezium creates a table's topic at its first change, so a worker may start before it.
    if (isUnknownTopic(one)) return true;
    const { code, retriable, canRetry } = one as Error & {
      code?: unknown;
      retriable?: unknown;
      canRetry?: unknown;
    };
    // A protocol error the broker marks retriable, e.g. UNKNOWN_TOPIC_OR_PARTITION for a topic not created yet.
    return retriable === true || canRetry === true || TRANSIENT_KAFKA_ERRORS.has(String(code));
  });
}

function isUnknownTopic(error: Error): boolean {
  return (
    (error as Error & { code?: unknown }).code === 'PLT_KFK_USER' &&
    error.message.startsWith('Unknown topic ')
  );
}

function isAuthenticationError(error: Error): boolean {
  const { code, apiId } = error as Error & { code?: unknown; apiId?: unknown };
  return code === 'PLT_KFK_AUTHENTICATION' || apiId === 'SASL_AUTHENTICATION_FAILED';
}

/** True when `test` holds for the error, one it aggregates (`errors`) or one of its causes. */
function someInTree(error: unknown, test: (error: Error) => boolean): boolean {
  if (!(error instanceof Error)) return false;
  if (test(error)) return true;
  const { errors } = error as Error & { errors?: unknown };
  if (Array.isArray(errors) && errors.some((inner) => someInTree(inner, test))) return true;
  return someInTree(error.cause, test);
}

/**
 * Start a consumer, retrying transient failures with the one retry helper (`retry` of core/retry) until it
 * runs. Each retry gets a fresh consumer from `build` (a failed consumer is not restarted), and the failed
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
  const { sleep, random, ...bounds } = options;
  const policy = { ...START_RETRY_DEFAULTS, ...bounds, retries: Number.POSITIVE_INFINITY };
  return retry(
    async () => {
      const worker = build();
      context.onAttempt?.(worker);
      try {
        await worker.start();
        return worker;
      } catch (error) {
        await worker.stop().catch(() => undefined);
        throw error;
      }
    },
    policy,
    {
      isRetriable: isTransientStartError,
      ...(sleep ? { sleep } : {}),
      ...(random ? { delay: (attempt: number) => backoffDelay(attempt, policy, random) } : {}),
      onRetry: ({ attempt, delayMs, error }) =>
        context.logger.warn(
          { err: error, attempt, retryInMs: delayMs },
          'cannot start consuming yet (a topic that does not exist yet, or Kafka unreachable): retrying',
        ),
    },
  );
}
