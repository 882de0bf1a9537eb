import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ioredisDriver } from '../../../redis/adapters/ioredis-driver';
import type { WorkerRedisTarget } from './worker-redis-target';

/**
 * An ioredis client for a worker: one retry per command, then it fails (no unbounded queue while
 * disconnected), a command timeout, TLS for `rediss://`; on Cluster, TLS certificates name the
 * configuration endpoint (ElastiCache), so node addresses are not resolved to IPs.
 */
export function openIoredis(target: WorkerRedisTarget) {
  const options: RedisOptions = {
    maxRetriesPerRequest: 1,
    connectTimeout: target.connectTimeoutMs,
    commandTimeout: target.commandTimeoutMs,
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
  if (!target.cluster) return ioredisDriver(new Redis(target.url, options));
  return ioredisDriver(
    new Cluster([{ host: target.host, port: target.port }], {
      ...(target.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
      slotsRefreshTimeout: 2_000,
      redisOptions: { ...options, ...(target.tls ? { tls: {} } : {}) },
    }),
  );
}
