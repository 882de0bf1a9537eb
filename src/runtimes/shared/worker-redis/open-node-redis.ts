import {
  type NodeRedisClusterLike,
  type NodeRedisLike,
  nodeRedisDriver,
} from '../../../redis/adapters/node-redis-driver';
import type { PortDriver } from '../../../redis/adapters/port-driver';
import type { ElastiCacheIamAuth } from '../../../redis/iam/elasticache-iam-auth';
import { loadClientLibrary } from './load-client-library';
import type { WorkerRedisTarget } from './worker-redis-target';

/** The part of node-redis (`redis` 5 or 6) used here; options are built structurally, see below. */
interface NodeRedisModule {
  createClient(options: object): NodeRedisLike & { destroy(): void; readonly isReady: boolean };
  createCluster(options: object): NodeRedisClusterLike & { destroy(): void };
}

/**
 * The node-redis options of a worker: no offline queue (a command fails at once while disconnected), a
 * command timeout, a connect timeout and a bounded reconnect backoff, TLS for `rediss://`, ACL user and
 * password, or with ElastiCache IAM a credentials provider that signs a fresh token for every connection
 * (node-redis 5 and 6 ask it on each connect and reconnect). Exported for the unit test of what the
 * options become.
 */
export function nodeRedisClientOptions(target: WorkerRedisTarget, iam?: ElastiCacheIamAuth) {
  return {
    ...(iam ? { credentialsProvider: iam.credentialsProvider } : passwordCredentials(target)),
    disableOfflineQueue: true,
    commandOptions: { timeout: target.commandTimeoutMs },
    socket: {
      connectTimeout: target.connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(100 * 2 ** retries, 2_000),
      ...(target.tls ? { tls: true as const } : {}),
    },
  };
}

function passwordCredentials(target: WorkerRedisTarget) {
  return {
    ...(target.username === undefined ? {} : { username: target.username }),
    ...(target.password === undefined ? {} : { password: target.password }),
  };
}

/**
 * A node-redis client (or cluster) for a worker, connected before it is used: while Redis is down the first
 * attempt fails at once (and commands fail fast, `ClientOfflineError`) instead of waiting for a connection.
 */
export async function openNodeRedis(
  target: WorkerRedisTarget,
  iam?: ElastiCacheIamAuth,
): Promise<PortDriver> {
  const redis = loadClientLibrary<NodeRedisModule>('node-redis');
  const options = nodeRedisClientOptions(target, iam);
  const node = { host: target.host, port: target.port };
  const client = target.cluster
    ? redis.createCluster({ rootNodes: [{ socket: { ...node, ...options.socket } }], defaults: options })
    : redis.createClient({ ...options, socket: { ...options.socket, ...node } });
  const driver = nodeRedisDriver(client);
  // Redis down at start is not fatal: the worker's first batch fails and the driver connects again.
  await client.connect().catch(() => undefined);
  return {
    ...driver,
    async close() {
      // QUIT would wait for a reply that a client still reconnecting never gets.
      if ('isReady' in client && !client.isReady) client.destroy();
      else await driver.close().catch(() => client.destroy());
    },
  };
}
