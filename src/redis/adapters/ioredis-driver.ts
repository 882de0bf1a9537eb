import calculateSlot from 'cluster-key-slot';
import type { DriverCommand, DriverNode, PortDriver } from './port-driver';

/** The part of an ioredis 5 or 6 `Redis` the driver uses (structural: no import of the library). */
export interface IoredisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
  pipeline(): IoredisPipelineLike;
  quit(): Promise<unknown>;
  disconnect(): void;
  readonly status?: string;
  readonly options: { readonly host?: string; readonly port?: number };
}

/** An ioredis pipeline. */
export interface IoredisPipelineLike {
  call(command: string, ...args: string[]): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/** The part of an ioredis `Cluster` the driver uses. */
export interface IoredisClusterLike extends Omit<IoredisLike, 'options'> {
  readonly isCluster: boolean;
  readonly slots: readonly (readonly string[] | undefined)[];
  nodes(role: 'master'): IoredisLike[];
}

/** True for an ioredis `Redis` or `Cluster` (5 or 6). */
export function isIoredis(client: unknown): client is IoredisLike | IoredisClusterLike {
  const candidate = client as Partial<IoredisLike> & { defineCommand?: unknown };
  return (
    typeof candidate?.call === 'function' &&
    typeof candidate.pipeline === 'function' &&
    typeof candidate.defineCommand === 'function'
  );
}

/**
 * The ioredis adapter: standalone or Cluster. A Cluster pipeline must stay on one node, so commands are
 * grouped by the node that serves their slot (one pipeline each, all sent at once).
 */
export function ioredisDriver(client: IoredisLike | IoredisClusterLike): PortDriver {
  const cluster = (client as IoredisClusterLike).isCluster === true;
  // The command's own array spread as the arguments (a script call of a batch of tombstones holds a thousand
  // keys): a slice of its tail first would copy them once more.
  const call = (target: Pick<IoredisLike, 'call'>, args: readonly string[]) =>
    target.call(...(args as readonly [string, ...string[]]));
  const exec = async (target: IoredisLike | IoredisClusterLike, commands: readonly DriverCommand[]) => {
    try {
      const pipeline = target.pipeline();
      for (const { args } of commands) pipeline.call(...(args as readonly [string, ...string[]]));
      const replies = await pipeline.exec();
      return commands.map(
        (_command, at) =>
          replies?.[at]?.[0] ?? replies?.[at]?.[1] ?? (replies ? null : new Error('pipeline discarded')),
      );
    } catch (error) {
      return commands.map(() => error);
    }
  };
  return {
    kind: 'ioredis',
    cluster,
    send: (command) => call(client, command.args),
    async pipeline(commands) {
      if (!cluster) return exec(client, commands);
      const slots = (client as IoredisClusterLike).slots;
      const groups = new Map<string, number[]>();
      commands.forEach((command, at) => {
        const slot = command.key === undefined ? 0 : calculateSlot(command.key);
        const node = slots[slot]?.[0] ?? `slot:${slot}`;
        const group = groups.get(node);
        if (group) group.push(at);
        else groups.set(node, [at]);
      });
      const replies: unknown[] = new Array(commands.length);
      await Promise.all(
        [...groups.values()].map(async (indexes) => {
          const results = await exec(
            client,
            indexes.map((at) => commands[at]!),
          );
          indexes.forEach((at, position) => {
            replies[at] = results[position];
          });
        }),
      );
      return replies;
    },
    async primaries(): Promise<DriverNode[]> {
      const nodes = cluster ? (client as IoredisClusterLike).nodes('master') : [client as IoredisLike];
      return nodes.map((node) => ({
        address: cluster ? `${node.options.host}:${node.options.port}` : '',
        send: (args) => call(node, args),
      }));
    },
    async close() {
      // QUIT waits for a reply that a client still reconnecting would never get.
      if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
      else client.disconnect();
    },
  };
}
