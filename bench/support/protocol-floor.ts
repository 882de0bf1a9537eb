// The protocol's floor: what a client library spends sending exactly the commands the engine sends (the same
// script calls, keys, version memories and arguments), prepared before the clock starts. The engine's cost
// above it is its own: decoding, planning, building those commands, metrics and the GC of all of it.
import type { BatchEntry, RedisPort, ScriptCall } from '../../src/redis/redis-port';
import type { EngineClient } from './engine-clients';
import { cpuNow, cpuSince } from './limits';

/** One pipeline as raw arguments (`EVALSHA sha n key... arg...`), what every adapter hands its library. */
export type RawPipeline = readonly (readonly string[])[];

/** A port that passes everything on to `port` and keeps every batch it sends, as raw arguments. */
export function recordingPort(port: RedisPort): {
  readonly port: RedisPort;
  readonly pipelines: RawPipeline[];
} {
  const pipelines: RawPipeline[] = [];
  return {
    pipelines,
    port: {
      ...port,
      batch(entries) {
        pipelines.push(entries.map(rawCommand));
        return port.batch(entries);
      },
    },
  };
}

function rawCommand(entry: BatchEntry): string[] {
  if (Array.isArray(entry)) return entry.map(String);
  const call = entry as ScriptCall;
  return ['EVALSHA', call.script.sha, String(call.keys.length), ...call.keys, ...call.args.map(String)];
}

/**
 * CPU microseconds per event of sending `pipelines` (recorded for `events` events) again with `client`'s own
 * pipeline, `inFlight` under way at once: the least this library can spend on the protocol's commands.
 */
export async function protocolWriteCpuUs(
  client: EngineClient,
  pipelines: readonly RawPipeline[],
  events: number,
  inFlight: number,
): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < pipelines.length) await client.sendPipeline(pipelines[next++]!);
  };
  const cpu = cpuNow();
  await Promise.all(Array.from({ length: inFlight }, lane));
  return cpuSince(cpu) / events;
}
