import { createRedisPort } from '../../redis/create-redis-port';
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

/**
 * The Redis client of a worker process or Lambda handler, with the library chosen by
 * `CDC_CACHE_REDIS_CLIENT` (ioredis, node-redis or GLIDE): standalone or Cluster, TLS for `rediss://`, ACL
 * user and password (options or URL) or ElastiCache IAM (GLIDE). With every library commands fail fast
 * while disconnected and time out (see `WORKER_COMMAND_TIMEOUT_MS`), so a worker pauses and backs off on
 * its own schedule instead of queueing behind a dead connection.
 *
 * @example
 * const redis = await createWorkerRedis({ redisUrl: 'rediss://cache.example.com:6379', redisCluster: true })
 */
export async function createWorkerRedis(config: WorkerRedisConfig): Promise<WorkerRedis> {
  const target = workerRedisTarget(config);
  const driver =
    target.library === 'glide'
      ? await openGlide(target)
      : target.library === 'node-redis'
        ? await openNodeRedis(target)
        : openIoredis(target);
  return { port: createRedisPort(driver, false), close: () => driver.close() };
}
