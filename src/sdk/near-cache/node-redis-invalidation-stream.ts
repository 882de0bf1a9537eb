import type { InvalidationStream, InvalidationStreamOptions } from './invalidation-stream';
import type { NodeTrackerEvents } from './track-node-connection';
import { type NodeRedisTrackable, trackNodeRedisConnection } from './track-node-redis-connection';
import { createTrackerSet } from './tracker-set';

/** A node of a node-redis cluster (`cluster.masters`, `cluster.replicas`). */
interface NodeRedisShardNode {
  readonly address: string;
}

/** The part of a node-redis cluster the stream uses. */
interface NodeRedisClusterTrackable {
  readonly masters: readonly NodeRedisShardNode[];
  readonly replicas: readonly NodeRedisShardNode[];
  nodeClient(node: NodeRedisShardNode): Promise<NodeRedisTrackable> | NodeRedisTrackable;
  on(event: string, listener: () => void): unknown;
  off(event: string, listener: () => void): unknown;
}

/** Cluster events after which the set of nodes may have changed (node-redis 5 and 6). */
const TOPOLOGY_EVENTS = ['connect', 'node-ready', 'node-disconnect'] as const;

/**
 * The {@link InvalidationStream} of a node-redis (5 or 6) client or cluster: one RESP3 tracking connection
 * per node, duplicated from the node's own client (same credentials, TLS and address mapping). On Cluster
 * every node node-redis knows is tracked, masters and replicas (a replica reports the writes it replicates,
 * so a promotion loses nothing); the node list is read again on node-redis' node events and at every
 * heartbeat, since node-redis emits no event when it rediscovers the slots.
 *
 * @example
 * const stream = createNodeRedisInvalidationStream(client, { prefixes: ['shop:user:'], heartbeatMs: 1000, name: 'cdc-cache:l1' })
 */
export function createNodeRedisInvalidationStream(
  client: object,
  options: InvalidationStreamOptions,
): InvalidationStream {
  const set = createTrackerSet();
  let stopWatching = () => {};
  const track = (base: NodeRedisTrackable) => (events: NodeTrackerEvents) =>
    trackNodeRedisConnection(base, { ...options, events });

  const reconcile = async (cluster: NodeRedisClusterTrackable) => {
    const nodes = new Map<string, NodeRedisShardNode>();
    for (const node of [...cluster.masters, ...cluster.replicas]) nodes.set(node.address, node);
    // A node whose client cannot be had now is retried at the next poll; the set stays as it was meanwhile.
    const clients = new Map<string, NodeRedisTrackable>();
    for (const [address, node] of nodes) clients.set(address, await cluster.nodeClient(node));
    if (set.closed || clients.size === 0) return;
    set.reconcile([...clients.keys()], (address, events) => track(clients.get(address)!)(events));
  };

  return {
    start(listener) {
      set.listen(listener);
      if (!('masters' in client)) {
        set.add('standalone', track(client as NodeRedisTrackable));
        return;
      }
      const cluster = client as unknown as NodeRedisClusterTrackable;
      const onTopology = () => {
        reconcile(cluster).catch((error: unknown) => listener.error('near-cache-topology', error));
      };
      for (const event of TOPOLOGY_EVENTS) cluster.on(event, onTopology);
      const poll = setInterval(onTopology, options.heartbeatMs);
      poll.unref();
      stopWatching = () => {
        clearInterval(poll);
        for (const event of TOPOLOGY_EVENTS) cluster.off(event, onTopology);
      };
      onTopology();
    },
    sync: () => set.sync(),
    clientIds: () => set.clientIds(),
    async close() {
      stopWatching();
      await set.close();
    },
  };
}
