import { GlideClient, GlideClusterClient, ProtocolVersion } from '@valkey/valkey-glide';
import { Cluster, Redis } from 'ioredis';
import { Cluster as Cluster6, Redis as Redis6 } from 'ioredis6';
import { createClient, createCluster } from 'redis';
import { createClient as createClient5, createCluster as createCluster5 } from 'redis5';
import type { RedisPort } from '../../src/redis/redis-port';
import { toRedisPort } from '../../src/redis/to-redis-port';

/** Where a test client connects, and as whom. */
export interface RedisTarget {
  /** Standalone: one node; Cluster: the seed nodes. */
  readonly nodes: readonly { readonly host: string; readonly port: number }[];
  readonly cluster: boolean;
  readonly resp: 2 | 3;
  readonly username?: string;
  readonly password?: string;
}

/** A client library (and major version) the contract suites run against. */
export interface RedisClientFactory {
  readonly name: string;
  /** False where the library cannot speak RESP3 (ioredis 5). */
  readonly resp3: boolean;
  /** Open a client (connected) and wrap it; `close` closes the client the test made. */
  open(target: RedisTarget): Promise<{ port: RedisPort; client: unknown; close(): Promise<void> }>;
}

const url = (target: RedisTarget, node = target.nodes[0]!) =>
  `redis://${target.username ? `${encodeURIComponent(target.username)}:${encodeURIComponent(target.password ?? '')}@` : ''}${node.host}:${node.port}`;

function ioredisFactory(
  name: string,
  R: typeof Redis,
  C: typeof Cluster,
  resp3: boolean,
): RedisClientFactory {
  return {
    name,
    resp3,
    async open(target) {
      // Fail fast while disconnected, as the workers configure their clients.
      const auth = {
        username: target.username,
        password: target.password,
        maxRetriesPerRequest: 1,
      };
      const protocol = resp3 ? { protocol: target.resp } : {};
      const client = target.cluster
        ? new C([...target.nodes], { redisOptions: { ...auth, ...protocol } })
        : new R({ ...target.nodes[0]!, ...auth, ...protocol });
      return { port: toRedisPort(client), client, close: async () => void client.disconnect() };
    },
  };
}

function nodeRedisFactory(
  name: string,
  single: typeof createClient,
  cluster: typeof createCluster,
): RedisClientFactory {
  return {
    name,
    resp3: true,
    async open(target) {
      const client = target.cluster
        ? cluster({
            rootNodes: target.nodes.map((node) => ({ url: url(target, node) })),
            defaults: { username: target.username, password: target.password, disableOfflineQueue: true },
            RESP: target.resp,
          })
        : single({ url: url(target), RESP: target.resp, disableOfflineQueue: true });
      await client.connect();
      return { port: toRedisPort(client), client, close: async () => void (await client.close()) };
    },
  };
}

const glideFactory: RedisClientFactory = {
  name: 'glide-2',
  resp3: true,
  async open(target) {
    const options = {
      addresses: [...target.nodes],
      protocol: target.resp === 3 ? ProtocolVersion.RESP3 : ProtocolVersion.RESP2,
      requestTimeout: 1_000,
      // GLIDE refuses requests beyond 1000 in flight by default; the tests fire more at once (docs say so too).
      inflightRequestsLimit: 10_000,
      ...(target.username
        ? { credentials: { username: target.username, password: target.password ?? '' } }
        : {}),
    };
    const client = target.cluster
      ? await GlideClusterClient.createClient(options)
      : await GlideClient.createClient(options);
    return { port: toRedisPort(client), client, close: async () => client.close() };
  },
};

/**
 * Every client library the port supports, in each major version on npm: the contract suites run
 * `describe.each(REDIS_CLIENTS)`.
 */
export const REDIS_CLIENTS: readonly RedisClientFactory[] = [
  nodeRedisFactory('node-redis-6', createClient, createCluster),
  nodeRedisFactory(
    'node-redis-5',
    createClient5 as unknown as typeof createClient,
    createCluster5 as unknown as typeof createCluster,
  ),
  ioredisFactory('ioredis-5', Redis, Cluster, false),
  ioredisFactory('ioredis-6', Redis6 as unknown as typeof Redis, Cluster6 as unknown as typeof Cluster, true),
  glideFactory,
];
