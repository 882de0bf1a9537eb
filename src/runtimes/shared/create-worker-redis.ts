import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { type RedisClient, WORKER_COMMAND_TIMEOUT_MS } from '../../redis/create-redis-client';

/** The Redis settings every worker takes (see `cacheTargetOptions`). */
export interface WorkerRedisConfig {
  readonly redisUrl: string;
  readonly redisUsername?: string | undefined;
  readonly redisPassword?: string | undefined;
  readonly redisCluster: boolean;
  /** The WAIT timeout (`CDC_CACHE_REDIS_WAIT_TIMEOUT_MS`): a command may take that much longer. */
  readonly redisWaitTimeoutMs?: number | undefined;
  /** Longest wait for a reply besides WAIT; default {@link WORKER_COMMAND_TIMEOUT_MS}. */
  readonly redisCommandTimeoutMs?: number | undefined;
}

/**
 * The Redis client of a worker process: standalone or Cluster, TLS for `rediss://`, ACL user and password
 * from the options or the URL. Commands fail fast while disconnected (and time out, see
 * {@link WORKER_COMMAND_TIMEOUT_MS}), so a worker pauses and backs off on its own schedule instead of
 * queueing behind a dead connection.
 *
 * @example
 * const redis = createWorkerRedis({ redisUrl: 'rediss://cache.example.com:6379', redisCluster: true })
 */
export function createWorkerRedis(config: WorkerRedisConfig): RedisClient {
  const url = new URL(config.redisUrl);
  const options: RedisOptions = {
    maxRetriesPerRequest: 1,
    connectTimeout: 5_000,
    commandTimeout:
      (config.redisCommandTimeoutMs ?? WORKER_COMMAND_TIMEOUT_MS) + (config.redisWaitTimeoutMs ?? 0),
    ...(config.redisUsername === undefined ? {} : { username: config.redisUsername }),
    ...(config.redisPassword === undefined ? {} : { password: config.redisPassword }),
  };
  if (!config.redisCluster) return new Redis(config.redisUrl, options);
  const tls = url.protocol === 'rediss:';
  return new Cluster([{ host: url.hostname, port: Number(url.port || 6379) }], {
    // ElastiCache TLS certificates name the configuration endpoint, not the node IPs.
    ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
    slotsRefreshTimeout: 2_000,
    redisOptions: {
      ...options,
      username: options.username ?? (url.username ? decodeURIComponent(url.username) : undefined),
      password: options.password ?? (url.password ? decodeURIComponent(url.password) : undefined),
      ...(tls ? { tls: {} } : {}),
    },
  });
}
