import { createInvalidationEngine } from '../../core/create-invalidation-engine';
import type { InvalidationEngine } from '../../core/ports';
import type { ReplicaAckSetting } from '../../core/replica-ack';
import type { Keyspace } from '../../keyspace';
import type { Instrumentation } from '../../observability/instrumentation';
import type { RedisClient } from '../../redis/create-redis-client';

/** The engine settings every worker takes from its configuration. */
export interface WorkerEngineConfig {
  readonly keyPrefix?: string | undefined;
  readonly redisWaitReplicas: ReplicaAckSetting;
  readonly redisWaitTimeoutMs: number;
}

// A batch fails fast while Redis is down: the worker backs off on its own schedule and keeps its position.
const WORKER_ENGINE_RETRY = { retries: 3, initialDelayMs: 100, maxDelayMs: 1_000 };

/**
 * The invalidation engine of a worker process: its keyspace and prefix, a short retry (the runtime pauses
 * and backs off itself), replica acknowledgement (WAIT) as configured, and the runtime's instrumentation.
 *
 * @example
 * const engine = createWorkerEngine(config, { keyspace, redis, instrumentation })
 */
export function createWorkerEngine(
  config: WorkerEngineConfig,
  context: { keyspace: Keyspace; redis: RedisClient; instrumentation: Instrumentation },
): InvalidationEngine {
  return createInvalidationEngine({
    ...context,
    prefix: config.keyPrefix ?? context.keyspace.prefix,
    retry: WORKER_ENGINE_RETRY,
    replicaAck: { replicas: config.redisWaitReplicas, timeoutMs: config.redisWaitTimeoutMs },
  });
}
