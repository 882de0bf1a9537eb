import type { DriverNode, PortDriver } from './port-driver';

type Route = 'randomNode' | { readonly type: 'routeByAddress'; readonly host: string; readonly port: number };

/** The part of a Valkey GLIDE 2.x `GlideClient` or `GlideClusterClient` the driver uses (structural). */
export interface GlideLike {
  customCommand(args: string[], options?: { route?: Route }): Promise<unknown>;
  exec(batch: unknown, raiseOnError: boolean): Promise<unknown[] | null>;
  close(errorMessage?: string): void;
}

/** True for a GLIDE client (standalone or cluster). */
export function isGlide(client: unknown): client is GlideLike {
  const candidate = client as Partial<GlideLike>;
  return typeof candidate?.customCommand === 'function' && typeof candidate.exec === 'function';
}

/** A cluster client has the routed function call; the standalone one does not. */
function isGlideCluster(client: GlideLike): boolean {
  return typeof (client as { fcallWithRoute?: unknown }).fcallWithRoute === 'function';
}

interface GlideBatchModule {
  Batch: new (isAtomic: boolean) => { customCommand(args: string[]): unknown };
  ClusterBatch: new (isAtomic: boolean) => { customCommand(args: string[]): unknown };
}

/** GLIDE (through redis-rs) renames the server's error codes; the port speaks Redis' own. */
const REDIS_CODE_OF_KIND: Readonly<Record<string, string>> = {
  ResponseError: 'ERR',
  NoScriptError: 'NOSCRIPT',
  BusyLoadingError: 'LOADING',
  TryAgain: 'TRYAGAIN',
  ClusterDown: 'CLUSTERDOWN',
  CrossSlot: 'CROSSSLOT',
  MasterDown: 'MASTERDOWN',
  ReadOnly: 'READONLY',
  ExecAbortError: 'EXECABORT',
  TypeError: 'WRONGTYPE',
  NotBusy: 'NOTBUSY',
  Moved: 'MOVED',
  Ask: 'ASK',
  PermissionDenied: 'NOPERM',
  AuthenticationFailed: 'WRONGPASS',
};
const SERVER_ERROR = /^An error was signalled by the server: - (\w+): ?(.*)$/s;

/**
 * Give an error reply GLIDE reworded its Redis text back (`NoScriptError: No matching script` ->
 * `NOSCRIPT No matching script`), so one classification of errors serves every client. The GLIDE error is
 * kept as `cause`; any other error is returned as it is.
 */
export function redisErrorOfGlide(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const match = SERVER_ERROR.exec(error.message);
  if (!match) return error;
  const code = REDIS_CODE_OF_KIND[match[1]!] ?? match[1]!;
  const reworded = new Error(`${code} ${match[2]}`, { cause: error });
  reworded.name = 'ReplyError';
  return reworded;
}

/**
 * The Valkey GLIDE adapter. GLIDE routes a command by its key itself and splits a non-atomic batch by node;
 * it returns RESP3 maps as `{ key, value }` records (normalised by the port). The library is loaded only
 * when a GLIDE client is given, so it stays an optional peer dependency.
 */
export function glideDriver(client: GlideLike): PortDriver {
  const cluster = isGlideCluster(client);
  // The caller already holds a GLIDE client, so the library is installed.
  const glide = require('@valkey/valkey-glide') as GlideBatchModule;
  return {
    kind: 'glide',
    cluster,
    send: (command) =>
      client.customCommand([...command.args]).catch((error: unknown) => {
        throw redisErrorOfGlide(error);
      }),
    async pipeline(commands) {
      const batch = cluster ? new glide.ClusterBatch(false) : new glide.Batch(false);
      for (const command of commands) batch.customCommand([...command.args]);
      try {
        const replies = await client.exec(batch, false);
        return commands.map((_command, at) => redisErrorOfGlide(replies?.[at] ?? null));
      } catch (error) {
        return commands.map(() => redisErrorOfGlide(error));
      }
    },
    async primaries(): Promise<DriverNode[]> {
      const routed = (args: readonly string[], route?: Route) =>
        client.customCommand([...args], route ? { route } : {}).catch((error: unknown) => {
          throw redisErrorOfGlide(error);
        });
      if (!cluster) return [{ address: '', send: (args) => routed(args) }];
      const slots = (await client.customCommand(['CLUSTER', 'SLOTS'], {
        route: 'randomNode',
      })) as unknown[][];
      const addresses = new Map<string, { host: string; port: number }>();
      for (const range of slots) {
        const [host, port] = range[2] as [unknown, unknown];
        addresses.set(`${String(host)}:${Number(port)}`, { host: String(host), port: Number(port) });
      }
      return [...addresses].map(([address, { host, port }]) => ({
        address,
        send: (args) => routed(args, { type: 'routeByAddress', host, port }),
      }));
    },
    async close() {
      client.close();
    },
  };
}
