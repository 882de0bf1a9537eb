import calculateSlot from 'cluster-key-slot';
import { FLAT_COMMAND_MIN_ARGS, flatCommand, type IoredisCommandClass } from './ioredis-flat-command';
import type { DriverCommand, DriverNode, PortDriver } from './port-driver';

/** The part of an ioredis 5 or 6 `Redis` the driver uses (structural: no import of the library). */
export interface IoredisLike {
  call(command: string, ...args: string[]): Promise<unknown>;
  /** `never`: the client's own `Command` type, which this structural view does not name. */
  sendCommand(command: never): unknown;
  pipeline(): IoredisPipelineLike;
  quit(): Promise<unknown>;
  disconnect(): void;
  readonly status?: string;
  readonly options: {
    readonly host?: string;
    readonly port?: number;
    readonly showFriendlyErrorStack?: boolean;
    readonly enableAutoPipelining?: boolean;
  };
}

/** An ioredis pipeline. */
export interface IoredisPipelineLike {
  call(command: string, ...args: string[]): unknown;
  /** Not in ioredis's typings of a pipeline (`ChainableCommander`), present in ioredis 5 and 6. */
  sendCommand?(command: never): unknown;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/** The part of an ioredis `Cluster` the driver uses. */
export interface IoredisClusterLike extends Omit<IoredisLike, 'options'> {
  readonly options: { readonly showFriendlyErrorStack?: boolean; readonly enableAutoPipelining?: boolean };
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
  const Command = commandClassOf(client);
  const flat = (args: readonly string[]) =>
    flatCommand(Command!, args, client.options.showFriendlyErrorStack ? new Error() : undefined);
  // A command sent alone takes ioredis's path where the application asked it to gather them itself.
  const sendsFlat = Command !== undefined && client.options.enableAutoPipelining !== true;
  const call = (target: Pick<IoredisLike, 'call' | 'sendCommand'>, args: readonly string[]) => {
    if (!sendsFlat || args.length < FLAT_COMMAND_MIN_ARGS) return target.call(args[0]!, ...args.slice(1));
    const command = flat(args);
    target.sendCommand(command as never);
    return command.promise;
  };
  const exec = async (target: IoredisLike | IoredisClusterLike, commands: readonly DriverCommand[]) => {
    try {
      const pipeline = target.pipeline();
      for (const { args } of commands) {
        if (Command === undefined || args.length < FLAT_COMMAND_MIN_ARGS || !pipeline.sendCommand)
          pipeline.call(args[0]!, ...args.slice(1));
        else pipeline.sendCommand(flat(args) as never);
      }
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
        groups.set(node, [...(groups.get(node) ?? []), at]);
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

/**
 * The `Command` class of the client's own copy of ioredis (5 or 6, whichever the application installed),
 * taken from a command added to a pipeline that is never sent; undefined if that copy hides it (commands
 * then take ioredis's ordinary path).
 */
function commandClassOf(client: IoredisLike | IoredisClusterLike): IoredisCommandClass | undefined {
  const probe = client.pipeline();
  probe.call('PING');
  // `_queue`: the pipeline's commands (ioredis 5 and 6), not in its typings.
  const queue = (probe as { _queue?: readonly { constructor?: unknown; toWritable?: unknown }[] })._queue;
  const command = queue?.[0];
  return typeof command?.toWritable === 'function' && typeof command.constructor === 'function'
    ? (command.constructor as IoredisCommandClass)
    : undefined;
}
