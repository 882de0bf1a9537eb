import { createRedisPort } from '../../redis/create-redis-port';
import { type ElastiCacheIamAuthOptions, elasticacheIamAuth } from '../../redis/iam/elasticache-iam-auth';
import type { RedisPort } from '../../redis/redis-port';
import { openGlide } from './worker-redis/open-glide';
import { openIoredis } from './worker-redis/open-ioredis';
import { openNodeRedis } from './worker-redis/open-node-redis';
import { type WorkerRedisConfig, workerRedisTarget } from './worker-redis/worker-redis-target';

export type { WorkerRedisConfig } from './worker-redis/worker-redis-target';

/** A worker's Redis: the port its engine and stores share (they never close it), and `close` for the end. */
export interface WorkerRedis {
  readonly port: RedisPort;
  /** Close the client (once everything using the port is done). */
  close(): Promise<void>;
}

/** What a test (or an embedding program) may change in how IAM tokens are signed. */
export interface WorkerRedisIamOverrides {
  readonly iam?: Pick<ElastiCacheIamAuthOptions, 'credentials' | 'now' | 'refreshIntervalMs'>;
  /** A token refresh that failed (the previous token stays); default a process warning. */
  readonly onIamError?: (error: unknown) => void;
}

/**
 * The Redis client of a worker process or Lambda handler, with the library chosen by
 * `CDC_CACHE_REDIS_CLIENT` (ioredis, node-redis or GLIDE): standalone or Cluster, TLS for `rediss://`, ACL
 * user and password (options or URL) or ElastiCache IAM (tokens signed for the cache, node-based or
 * Serverless, and refreshed; see `elasticacheIamAuth`). With every library commands fail fast
 * while disconnected and time out (see `WORKER_COMMAND_TIMEOUT_MS`), so a worker pauses and backs off on
 * its own schedule instead of queueing behind a dead connection.
 *
 * @example
 * const redis = await createWorkerRedis({ redisUrl: 'rediss://cache.example.com:6379', redisCluster: true })
 */
export async function createWorkerRedis(
  config: WorkerRedisConfig,
  overrides: WorkerRedisIamOverrides = {},
): Promise<WorkerRedis> {
  const target = workerRedisTarget(config);
  const iam =
    target.iam &&
    elasticacheIamAuth({
      cacheName: target.iam.cacheName,
      userId: target.iam.username,
      region: target.iam.region,
      serverless: target.iam.serverless,
      ...overrides.iam,
    });
  const onIamError = overrides.onIamError ?? warnIamRefreshFailed;
  const driver =
    target.library === 'glide'
      ? await openGlide(target, iam, onIamError)
      : target.library === 'node-redis'
        ? await openNodeRedis(target, iam)
        : await openIoredis(target, iam, onIamError);
  return { port: createRedisPort(driver, false), close: () => driver.close() };
}

/** The signing failed (no AWS credentials, say): the client keeps its last token, valid 15 minutes. */
function warnIamRefreshFailed(error: unknown): void {
  process.emitWarning(`cdc-cache: signing a new ElastiCache IAM token failed: ${(error as Error).message}`);
}
