import type { Cluster, Redis } from 'ioredis';
import type { RedisClient } from '../../redis/create-redis-client';
import type { InvalidationStream, InvalidationStreamOptions } from './invalidation-stream';
import type { NodeTrackerEvents } from './track-node-connection';
import { trackNodeConnection } from './track-node-connection';
import { createTrackerSet } from './tracker-set';

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
  options: InvalidationStreamOptions,
): InvalidationStream {
  const set = createTrackerSet();
  let stopWatching = () => {};
  const track = (node: Redis) => (events: NodeTrackerEvents) =>
    trackNodeConnection(node, { ...options, events });

  const reconcile = (cluster: Cluster) => {
    const nodes = new Map<string, Redis>();
    for (const node of cluster.nodes('all')) nodes.set(`${node.options.host}:${node.options.port}`, node);
    set.reconcile([...nodes.keys()], (key, events) => track(nodes.get(key)!)(events));
  };

  return {
    start(listener) {
      set.listen(listener);
      // ioredis marks its Cluster (5 and 6 alike); an instanceof check would fail across two installed copies.
      if ((client as { isCluster?: boolean }).isCluster !== true) {
        set.add('standalone', track(client as Redis));
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
    sync: () => set.sync(),
    clientIds: () => set.clientIds(),
    async close() {
      stopWatching();
      await set.close();
    },
  };
}
