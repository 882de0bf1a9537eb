// The physical limits of a benchmark's work, measured in the same run, on the same data and with the same
// client as the figure they bound, so that figures compare across machines: JSON.parse of the same message
// bytes (the floor for decoding JSON), a raw pipelined UNLINK / SET of the same keys (the floor for Redis),
// the Redis round trip, the CPU model, and CPU time per event from process.cpuUsage (steadier than wall time
// on a loaded machine: time the process waits for a core is not counted).
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Redis } from 'ioredis';

/** What every benchmark prints about the machine it ran on. */
export interface MachineFacts {
  readonly cpu: string;
  readonly cpus: number;
  readonly node: string;
  /** 1-minute load average when the benchmark started: above the core count, the figures are provisional. */
  readonly load_avg_1m: number;
}

/**
 * The CPU model, core count, Node.js version and load of this machine.
 *
 * @example
 * console.log(JSON.stringify({ bench: 'core', ...machineFacts() }))
 */
export function machineFacts(): MachineFacts {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: cpus().length,
    node: process.version,
    load_avg_1m: Number(loadavg()[0]!.toFixed(2)),
  };
}

/** CPU time (user + system) of this process, in microseconds, since `since` (a {@link cpuNow} reading). */
export function cpuSince(since: NodeJS.CpuUsage): number {
  const { user, system } = process.cpuUsage(since);
  return user + system;
}

/** A reading for {@link cpuSince}. */
export function cpuNow(): NodeJS.CpuUsage {
  return process.cpuUsage();
}

/** CPU microseconds of a process from Linux's /proc (a child: a worker the benchmark started); undefined elsewhere. */
export function processCpuUs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'; utime and stime are 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticksPerSecond = 100; // USER_HZ, 100 on every Linux Node.js supports
    return ((Number(fields[11]) + Number(fields[12])) * 1_000_000) / ticksPerSecond;
  } catch {
    return undefined;
  }
}

/** CPU microseconds the Redis server has used so far (`INFO cpu`: its user and system time, every thread). */
export async function redisServerCpuUs(redis: Redis): Promise<number> {
  const info = String(await redis.info('cpu'));
  const seconds = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (seconds('used_cpu_user') + seconds('used_cpu_sys')) * 1_000_000;
}

/**
 * Microseconds Redis has spent so far executing `commands` (`INFO commandstats`, e.g. `evalsha`): the
 * commands alone, without reading requests, writing replies or expiring keys in the background. A script's
 * inner calls are inside its own figure (and counted again under their names, so name only what clients send).
 */
export async function redisCommandUs(redis: Redis, commands: readonly string[]): Promise<number> {
  const info = String(await redis.info('commandstats'));
  let total = 0;
  for (const command of commands) {
    total += Number(new RegExp(`^cmdstat_${command}:.*?usec=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  }
  return total;
}

/**
 * Delete every key under `prefix` (SCAN on it, never KEYS on a shared Redis), so that Redis does not spend the
 * next benchmark's time expiring this one's keys.
 */
export async function deleteKeysWithPrefix(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

/** The median of `values`. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** `value` rounded to `digits` decimals (JSON-friendly). */
export function round(value: number, digits = 0): number {
  return Number(value.toFixed(digits));
}

/**
 * CPU microseconds per message of `JSON.parse(value.toString())`, what a consumer that decodes each message
 * whole pays at least: the median of `passes` passes over every message (after one warm-up pass).
 */
export function parseCostUs(values: readonly Buffer[], passes = 5): number {
  let sink = 0;
  const costs: number[] = [];
  for (let pass = 0; pass <= passes; pass++) {
    const started = cpuNow();
    for (const value of values) sink += JSON.parse(value.toString('utf8')) === null ? 0 : 1;
    if (pass > 0) costs.push(cpuSince(started) / values.length);
  }
  if (sink < 0) throw new Error('unreachable');
  return median(costs);
}

/**
 * The Redis round trip of `redis`: `samples` awaited PINGs one after another, p50 and p99 in microseconds.
 * On a loaded machine it is mostly scheduling delay, which is why it is printed next to each figure.
 */
export async function redisRoundTrip(
  redis: Redis,
  samples = 200,
): Promise<{ readonly rtt_p50_us: number; readonly rtt_p99_us: number }> {
  for (let warm = 0; warm < 10; warm++) await redis.ping();
  const times: number[] = [];
  for (let sample = 0; sample < samples; sample++) {
    const started = performance.now();
    await redis.ping();
    times.push((performance.now() - started) * 1000);
  }
  times.sort((a, b) => a - b);
  return {
    rtt_p50_us: round(times[Math.floor(samples * 0.5)]!, 1),
    rtt_p99_us: round(times[Math.min(samples - 1, Math.floor(samples * 0.99))]!, 1),
  };
}

/** The Redis floor of one run: per event, both wall and CPU microseconds. */
export interface RedisFloor {
  /** Events per second of the raw pipelined commands (wall time). */
  readonly events_per_s: number;
  /** Wall microseconds per event. */
  readonly us_per_event: number;
  /** CPU microseconds per event of this process (the client's own cost). */
  readonly cpu_us_per_event: number;
}

/** A pipeline of the client being measured. */
type Pipeline = ReturnType<Redis['pipeline']>;

/**
 * Wall and CPU time per event of sending `send(pipeline, keys)` for every event's keys, `batch` events per
 * pipeline and `inFlight` pipelines under way at once.
 */
export async function rawPipelined(
  redis: Redis,
  keysPerEvent: readonly (readonly string[])[],
  batch: number,
  inFlight: number,
  send: (pipeline: Pipeline, keys: readonly string[]) => void,
): Promise<RedisFloor> {
  let next = 0;
  const lane = async () => {
    while (next < keysPerEvent.length) {
      const first = next;
      next += batch;
      const pipeline = redis.pipeline();
      for (const keys of keysPerEvent.slice(first, first + batch)) send(pipeline, keys);
      await pipeline.exec();
    }
  };
  const cpu = cpuNow();
  const started = performance.now();
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  return {
    events_per_s: Math.round(keysPerEvent.length / seconds),
    us_per_event: round((seconds * 1_000_000) / keysPerEvent.length, 2),
    cpu_us_per_event: round(cpuSince(cpu) / keysPerEvent.length, 2),
  };
}

/**
 * The Redis floor for invalidating these keys: `SET` every key (timed as `set`), then one `UNLINK` per event of
 * its keys (timed as `unlink`), `batch` events per pipeline and `inFlight` pipelines under way at once, as
 * a hand-written worker that knows its keys would send them. Leaves the keys deleted.
 *
 * @example
 * const floor = await rawRedisFloor(redis, events.map((event) => keysOf(event)), 500, 2)
 */
export async function rawRedisFloor(
  redis: Redis,
  keysPerEvent: readonly (readonly string[])[],
  batch: number,
  inFlight: number,
  value = 'v|0||1|2||j{}',
): Promise<{ readonly set: RedisFloor; readonly unlink: RedisFloor }> {
  const set = await rawPipelined(redis, keysPerEvent, batch, inFlight, (pipeline, keys) => {
    for (const key of keys) pipeline.set(key, value, 'PX', 600_000);
  });
  const unlink = await rawPipelined(redis, keysPerEvent, batch, inFlight, (pipeline, keys) => {
    pipeline.unlink(...keys);
  });
  return { set, unlink };
}

/**
 * CPU microseconds per event of deleting these keys with one UNLINK per `batch` events (all their keys in one
 * command, gathered before the clock starts), `inFlight` commands under way at once: the least a client can
 * spend on the keys, as the engine sends one script call per batch. `unlinkAll` is the client's UNLINK.
 *
 * @example
 * const cpuUs = await rawBatchUnlinkCpuUs((keys) => redis.unlink(...keys), events.map(keysOf), 500, 2)
 */
export async function rawBatchUnlinkCpuUs(
  unlinkAll: (keys: readonly string[]) => Promise<unknown>,
  keysPerEvent: readonly (readonly string[])[],
  batch: number,
  inFlight: number,
): Promise<number> {
  const commands: string[][] = [];
  for (let first = 0; first < keysPerEvent.length; first += batch) {
    commands.push(keysPerEvent.slice(first, first + batch).flat());
  }
  let next = 0;
  const lane = async () => {
    while (next < commands.length) await unlinkAll(commands[next++]!);
  };
  const cpu = cpuNow();
  await Promise.all(Array.from({ length: inFlight }, lane));
  return round(cpuSince(cpu) / keysPerEvent.length, 2);
}
