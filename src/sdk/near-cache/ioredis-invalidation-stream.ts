import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../redis/create-redis-client';
import type { InvalidationListener, InvalidationStream } from './invalidation-stream';
import { type NodeTracker, trackNodeConnection } from './track-node-connection';

/** Cluster events after which the set of nodes may have changed. */
const TOPOLOGY_EVENTS = ['ready', 'refresh', '+node', '-node'] as const;

/**
 * The {@link InvalidationStream} of an ioredis client: one tracking connection per node (standalone: the
 * client's server; Cluster: every node ioredis knows, masters and replicas, since each node reports only the
 * writes it executes or replicates). The stream is up while every node's connection is; a node joining or
 * leaving (ioredis refreshed its slots) reports down until the new set is all up.
 *
 * @example
 * const stream = createIoredisInvalidationStream(redis, { prefixes: ['shop:user:'], heartbeatMs: 1000, name: 'cdc-cache:l1' })
 */
export function createIoredisInvalidationStream(
  client: RedisClient,
  options: { readonly prefixes: readonly string[]; readonly heartbeatMs: number; readonly name: string },
): InvalidationStream {
  const trackers = new Map<string, NodeTracker>();
  let listener: InvalidationListener | undefined;
  let up = false;
  let closed = false;
  let stopWatching = () => {};

  const settle = (reason: string) => {
    const allUp = trackers.size > 0 && [...trackers.values()].every((tracker) => tracker.up);
    if (allUp && !up) {
      up = true;
      listener?.up();
    } else if (!allUp && up) {
      up = false;
      listener?.down(reason);
    }
  };

  const open = (key: string, node: Redis) => {
    const tracker = trackNodeConnection(node, {
      prefixes: options.prefixes,
      heartbeatMs: options.heartbeatMs,
      name: options.name,
      events: {
        keys: (keys) => listener?.invalidated(keys),
        up: () => settle('up'),
        down: (reason) => settle(reason),
        error: (operation, error) => listener?.error(operation, error),
      },
    });
    trackers.set(key, tracker);
  };

  const reconcile = (cluster: Cluster) => {
    if (closed) return;
    const nodes = new Map<string, Redis>();
    for (const node of cluster.nodes('all')) nodes.set(`${node.options.host}:${node.options.port}`, node);
    for (const [key, tracker] of trackers) {
      if (!nodes.has(key)) {
        tracker.close();
        trackers.delete(key);
      }
    }
    for (const [key, node] of nodes) if (!trackers.has(key)) open(key, node);
    settle('topology-changed');
  };

  return {
    start(given) {
      listener = given;
      // ioredis marks its Cluster (5 and 6 alike); an instanceof check would fail across two installed copies.
      if ((client as { isCluster?: boolean }).isCluster !== true) {
        open('standalone', client as Redis);
        return;
      }
      const cluster = client as Cluster;
      const onTopology = () => reconcile(cluster);
      for (const event of TOPOLOGY_EVENTS) cluster.on(event, onTopology);
      stopWatching = () => {
        for (const event of TOPOLOGY_EVENTS) cluster.off(event, onTopology);
      };
      if (cluster.status === 'ready') reconcile(cluster);
    },
    async sync() {
      await Promise.all([...trackers.values()].map((tracker) => tracker.sync()));
    },
    async clientIds() {
      return [...trackers.values()].flatMap((tracker) =>
        tracker.clientId === undefined ? [] : [tracker.clientId],
      );
    },
    async close() {
      closed = true;
      stopWatching();
      for (const tracker of trackers.values()) tracker.close();
      trackers.clear();
      settle('closed');
    },
  };
}
