import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { ioredisDriver } from '../../../redis/adapters/ioredis-driver';
import type { PortDriver } from '../../../redis/adapters/port-driver';
import type { ElastiCacheIamAuth } from '../../../redis/iam/elasticache-iam-auth';
import { keepPasswordFresh } from './keep-password-fresh';
import type { WorkerRedisTarget } from './worker-redis-target';

/**
 * An ioredis client for a worker: one retry per command, then it fails (no unbounded queue while
 * disconnected), a command timeout, TLS for `rediss://`; on Cluster, TLS certificates name the
 * configuration endpoint (ElastiCache), so node addresses are not resolved to IPs. With ElastiCache IAM
 * (`iam`), the password is a signed token, replaced by a fresh one every refresh interval: ioredis reads
 * its password again on every reconnection (each Cluster node from its own options).
 */
export async function openIoredis(
  target: WorkerRedisTarget,
  iam?: ElastiCacheIamAuth,
  onIamError?: (error: unknown) => void,
): Promise<PortDriver> {
  const username = iam?.username ?? target.username;
  const password = iam ? await iam.token() : target.password;
  const options: RedisOptions = {
    maxRetriesPerRequest: 1,
    connectTimeout: target.connectTimeoutMs,
    commandTimeout: target.commandTimeoutMs,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
  };
  const client = target.cluster
    ? new Cluster([{ host: target.host, port: target.port }], {
        ...(target.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
        slotsRefreshTimeout: 2_000,
        redisOptions: { ...options, ...(target.tls ? { tls: {} } : {}) },
      })
    : new Redis(target.url, options);
  return keepPasswordFresh(ioredisDriver(client), client, iam, onIamError);
}
