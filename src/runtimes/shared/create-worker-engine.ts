import { createInvalidationEngine } from '../../core/create-invalidation-engine';
import type { InvalidationEngine } from '../../core/ports';
import type { ReplicaAckSetting } from '../../core/replica-ack';
import type { Keyspace } from '../../keyspace';
import { attachLogger, type EngineEventLogger } from '../../observability/attach-logger';
import type { Instrumentation } from '../../observability/instrumentation';
import type { RedisPortInput } from '../../redis/to-redis-port';

/** The engine settings every worker takes from its configuration. */
export interface WorkerEngineConfig {
  readonly keyPrefix?: string | undefined;
  readonly redisWaitReplicas: ReplicaAckSetting;
  readonly redisWaitTimeoutMs: number;
}

/**
 * The engine's retry in a runtime that retries on its own (workers back off and keep their position, Lambda
 * retries the batch): a batch fails fast while Redis is down.
 */
export const WORKER_ENGINE_RETRY = { retries: 3, initialDelayMs: 100, maxDelayMs: 1_000 };

/**
 * The invalidation engine of a worker process: its keyspace and prefix, a short retry (the runtime pauses
 * and backs off itself), replica acknowledgement (WAIT) as configured, and the runtime's instrumentation,
 * whose events (retries, outages, images missing key columns, failed events) go to the worker's log.
 *
 * @example
 * const engine = createWorkerEngine(config, { keyspace, redis, instrumentation, logger })
 */
export function createWorkerEngine(
  config: WorkerEngineConfig,
  context: {
    keyspace: Keyspace;
    redis: RedisPortInput;
    instrumentation: Instrumentation;
    logger: EngineEventLogger;
  },
): InvalidationEngine {
  const { logger, ...engineContext } = context;
  attachLogger(context.instrumentation, logger);
  return createInvalidationEngine({
    ...engineContext,
    prefix: config.keyPrefix ?? context.keyspace.prefix,
    retry: WORKER_ENGINE_RETRY,
    replicaAck: { replicas: config.redisWaitReplicas, timeoutMs: config.redisWaitTimeoutMs },
  });
}
