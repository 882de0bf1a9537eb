// The client libraries the engine accepts, opened the same way for bench:core's per-client rounds, each with
// its own raw pipelined UNLINK (the library's cheapest way to delete the same keys): the floor its engine
// run is compared with, so that the comparison is of the engine's cost on top of each library, not of the
// libraries alone.
import { Batch, GlideClient } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { cpuNow, cpuSince } from './limits';

/** A client library's connection for the engine, and its raw UNLINK of one pipeline of events' keys. */
export interface EngineClient {
  readonly name: string;
  /** What the engine is given (`createInvalidationEngine({ redis: client })`). */
  readonly client: unknown;
  /** One pipeline: an UNLINK of each event's keys, the way the library pipelines best. */
  unlinkPipeline(keysPerEvent: readonly (readonly string[])[]): Promise<unknown>;
  /** One UNLINK of every key of these events (one command per batch, as the engine sends one script call). */
  unlinkAll(keys: readonly string[]): Promise<unknown>;
  /** One pipeline of raw commands (`['EVALSHA', sha, ...]`), through the library's generic command path. */
  sendPipeline(commands: readonly (readonly string[])[]): Promise<unknown>;
  close(): Promise<void>;
}

/** Names accepted by BENCH_CORE_CLIENTS. */
export const ENGINE_CLIENT_NAMES = ['ioredis', 'node-redis', 'glide'] as const;

/** Open a client of `name` on `url` (standalone, default options). */
export async function openEngineClient(name: string, url: string): Promise<EngineClient> {
  switch (name) {
    case 'ioredis': {
      const client = new Redis(url);
      return {
        name,
        client,
        async unlinkPipeline(keysPerEvent) {
          const pipeline = client.pipeline();
          for (const keys of keysPerEvent) pipeline.unlink(...keys);
          return pipeline.exec();
        },
        unlinkAll: (keys) => client.unlink(...keys),
        async sendPipeline(commands) {
          const pipeline = client.pipeline();
          for (const [name, ...args] of commands) pipeline.call(name!, ...args);
          return pipeline.exec();
        },
        close: async () => void (await client.quit()),
      };
    }
    case 'node-redis': {
      const client = createClient({ url });
      await client.connect();
      return {
        name,
        client,
        // node-redis writes every command issued in one tick together: its pipeline.
        unlinkPipeline: (keysPerEvent) => Promise.all(keysPerEvent.map((keys) => client.unlink([...keys]))),
        unlinkAll: (keys) => client.unlink([...keys]),
        sendPipeline: (commands) => Promise.all(commands.map((args) => client.sendCommand([...args]))),
        close: async () => void (await client.close()),
      };
    }
    case 'glide': {
      const { hostname, port } = new URL(url);
      const client = await GlideClient.createClient({
        addresses: [{ host: hostname, port: Number(port || 6379) }],
        inflightRequestsLimit: 10_000,
      });
      return {
        name,
        client,
        async unlinkPipeline(keysPerEvent) {
          const batch = new Batch(false);
          for (const keys of keysPerEvent) batch.unlink([...keys]);
          return client.exec(batch, true);
        },
        unlinkAll: (keys) => client.unlink([...keys]),
        async sendPipeline(commands) {
          const batch = new Batch(false);
          for (const args of commands) batch.customCommand([...args]);
          return client.exec(batch, true);
        },
        close: async () => client.close(),
      };
    }
    default:
      throw new Error(`BENCH_CORE_CLIENTS: unknown client '${name}' (${ENGINE_CLIENT_NAMES.join(', ')})`);
  }
}

/** CPU microseconds per event of `client`'s raw pipelined UNLINK of these keys, `batch` events per pipeline. */
export async function rawUnlinkCpuUs(
  client: EngineClient,
  keysPerEvent: readonly (readonly string[])[],
  batch: number,
  inFlight: number,
): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < keysPerEvent.length) {
      const first = next;
      next += batch;
      await client.unlinkPipeline(keysPerEvent.slice(first, first + batch));
    }
  };
  const cpu = cpuNow();
  await Promise.all(Array.from({ length: inFlight }, lane));
  return cpuSince(cpu) / keysPerEvent.length;
}
