import type { DriverNode, PortDriver } from './port-driver';

/** The part of a node-redis (`redis` 5 or 6) client the driver uses (structural: no import of the library). */
export interface NodeRedisLike extends ErrorEmitter {
  sendCommand(args: string[]): Promise<unknown>;
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

/** The part of a node-redis cluster the driver uses. */
export interface NodeRedisClusterLike extends ErrorEmitter {
  sendCommand(
    firstKey: string | undefined,
    isReadonly: boolean | undefined,
    args: string[],
  ): Promise<unknown>;
  readonly masters: readonly { readonly address: string }[];
  nodeClient(node: { readonly address: string }): Promise<NodeRedisLike> | NodeRedisLike;
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

/** node-redis clients are event emitters that throw an 'error' event nobody listens to. */
interface ErrorEmitter {
  listenerCount?(event: 'error'): number;
  on?(event: 'error', listener: (error: Error) => void): unknown;
}

/** True for a node-redis client or cluster (`createClient`, `createCluster`). */
export function isNodeRedis(client: unknown): client is NodeRedisLike | NodeRedisClusterLike {
  const candidate = client as { sendCommand?: unknown; isOpen?: unknown; customCommand?: unknown };
  return (
    typeof candidate?.sendCommand === 'function' &&
    typeof candidate.isOpen === 'boolean' &&
    candidate.customCommand === undefined
  );
}

function isNodeRedisCluster(client: NodeRedisLike | NodeRedisClusterLike): client is NodeRedisClusterLike {
  return 'masters' in client && typeof (client as NodeRedisClusterLike).nodeClient === 'function';
}

/**
 * The node-redis adapter: standalone or cluster. node-redis pipelines every command written in one tick on
 * a connection, so a batch is its commands sent together (one round trip per node, in order per node). A
 * client that is not connected yet is connected on first use.
 */
export function nodeRedisDriver(client: NodeRedisLike | NodeRedisClusterLike): PortDriver {
  const cluster = isNodeRedisCluster(client);
  // node-redis throws an 'error' event nobody listens to: a lost connection would crash the process, where
  // cdc-cache fails open (the SDK) or pauses (the worker) on the commands' own errors instead.
  if (client.listenerCount?.('error') === 0) client.on?.('error', () => undefined);
  let opening: Promise<unknown> | undefined;
  const open = async () => {
    if (client.isOpen) return;
    opening ??= client.connect().finally(() => {
      opening = undefined;
    });
    await opening;
  };
  const send = async (key: string | undefined, args: readonly string[]) => {
    if (!client.isOpen) await open();
    return cluster
      ? (client as NodeRedisClusterLike).sendCommand(key, false, [...args])
      : (client as NodeRedisLike).sendCommand([...args]);
  };
  return {
    kind: 'node-redis',
    cluster,
    send: (command) => send(command.key, command.args),
    async pipeline(commands) {
      if (!client.isOpen) await open();
      const settled = await Promise.allSettled(commands.map((command) => send(command.key, command.args)));
      return settled.map((outcome) => (outcome.status === 'fulfilled' ? outcome.value : outcome.reason));
    },
    async primaries(): Promise<DriverNode[]> {
      await open();
      if (!cluster) return [{ address: '', send: (args) => send(undefined, args) }];
      const nodes = (client as NodeRedisClusterLike).masters;
      return Promise.all(
        nodes.map(async (node) => {
          const nodeClient = await (client as NodeRedisClusterLike).nodeClient(node);
          return {
            address: node.address,
            send: (args: readonly string[]) => nodeClient.sendCommand([...args]),
          };
        }),
      );
    },
    async close() {
      if (!client.isOpen) return;
      await (client.close ? client.close() : client.quit?.());
    },
  };
}
