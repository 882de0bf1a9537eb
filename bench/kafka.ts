// npm run bench:kafka — the Kafka worker on real Kafka and real Redis, against two baselines in the same run,
// both on the worker's client, @platformatic/kafka: a naive consumer (one awaited DEL per event) and
// consume-and-discard (the ceiling), alternated with the worker round by round.
// 1 KB Debezium JSON events over several partitions; each consumer runs in its own process.
// Then the added latency (message received → Redis acknowledged) at a paced 5,000 events/s, and the bare
// client's own produced → received latency at the same rate (the machine's tail).
// The last line is JSON. Sizes can be changed with env: BENCH_KAFKA_EVENTS, BENCH_KAFKA_NAIVE_EVENTS,
// BENCH_KAFKA_WARMUP_EVENTS, BENCH_KAFKA_PARTITIONS, BENCH_KAFKA_LATENCY_SECONDS, BENCH_KAFKA_ROUNDS, BENCH_KAFKA_ONLY=latency; BENCH_KAFKA_CPU_PROF=worker writes a CPU profile to $TMPDIR/cdc-cache-bench-prof/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import {
  createRawProducer,
  createTopics,
  deleteTopics,
  type KafkaTarget,
  type RawRecord,
} from '../scripts/stack/kafka-topics';
import {
  deleteKeysWithPrefix,
  machineFacts,
  median as middle,
  parseCostUs,
  processCpuUs,
  rawRedisFloor,
  redisCommandUs,
  redisRoundTrip,
  redisServerCpuUs,
  round,
} from './support/limits';

const BROKERS = (process.env['CDC_CACHE_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const REDIS_URL = process.env['CDC_CACHE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env['BENCH_KAFKA_EVENTS'] ?? 50_000);
const NAIVE_EVENTS = Number(process.env['BENCH_KAFKA_NAIVE_EVENTS'] ?? 10_000);
// The throughput runs first read this many events to warm up (JIT compilation, connections, the group's first
// fetches), then count BENCH_KAFKA_EVENTS: a worker runs for hours. The `cold_*` figures count from the first.
const WARMUP_EVENTS = Number(process.env['BENCH_KAFKA_WARMUP_EVENTS'] ?? 50_000);
// The naive consumer is bound by its round trips, not its code: a short warm-up is enough.
const NAIVE_WARMUP_EVENTS = Math.min(WARMUP_EVENTS, 2_000);
const PARTITIONS = Number(process.env['BENCH_KAFKA_PARTITIONS'] ?? 6);
const LATENCY_RATE = 5_000;
const ROUNDS = Number(process.env['BENCH_KAFKA_ROUNDS'] ?? 3);
const LATENCY_SECONDS = Number(process.env['BENCH_KAFKA_LATENCY_SECONDS'] ?? 10);
// BENCH_KAFKA_ONLY=latency: only the paced latency runs (a minute instead of several).
const LATENCY_ONLY = process.env['BENCH_KAFKA_ONLY'] === 'latency';
// Each paced run first produces this long at the same rate, and its latencies are kept apart (`cold_*`): a
// worker runs for hours, and its first second (JIT compilation, connections) is not its steady tail.
const WARMUP_SECONDS = 2;
// The worker's default concurrency; the naive consumer handles one partition at a time, and is also timed with
// one partition per slot, as a generous variant.
const WORKER_CONCURRENCY = 4;
const ROWS = 50_000;
const TABLE = 'public.users';
const EVENT_BYTES = 1024;
// The image's runtime flags (Dockerfile NODE_OPTIONS), for every consumer alike: a larger young generation
// lets the short-lived parsed messages die young instead of being promoted.
const NODE_FLAGS = (process.env['BENCH_KAFKA_NODE_FLAGS'] ?? '--max-semi-space-size=32')
  .split(' ')
  .filter(Boolean);

// The broker's process, when the benchmark can see it (BENCH_KAFKA_BROKER_PID, or the one `npm run stack:up`
// started): its CPU per event is counted with the consumers' and Redis', since all of them share the machine.
const BROKER_PID_FILE = join(process.cwd(), '.stack', 'run', 'kafka.pid');
const BROKER_PID =
  Number(process.env['BENCH_KAFKA_BROKER_PID']) ||
  (existsSync(BROKER_PID_FILE) ? Number(readFileSync(BROKER_PID_FILE, 'utf8').trim()) : undefined);

const run = `bench-kafka-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const prefix = `${run}:`;
const kafka: KafkaTarget = { brokers: BROKERS, clientId: run };

/** A Debezium PostgreSQL update envelope (schemas disabled) padded to about 1 KB. */
function debeziumEvent(id: number, lsn: number): RawRecord {
  const row = (email: string) => ({ id, email, name: `User ${id}`, bio: '' });
  const value = {
    before: row(`old${id}@example.com`),
    after: row(`new${id}@example.com`),
    source: {
      version: '3.6.1.Final',
      connector: 'postgresql',
      name: 'dbserver1',
      ts_ms: Date.now(),
      snapshot: 'false',
      db: 'shop',
      sequence: `["${lsn - 8}","${lsn}"]`,
      schema: 'public',
      table: 'users',
      txId: lsn,
      lsn,
      xmin: null,
    },
    op: 'u',
    ts_ms: Date.now(),
    transaction: null,
  };
  const padding = EVENT_BYTES - JSON.stringify(value).length;
  const bio = 'x'.repeat(Math.max(0, Math.floor(padding / 2)));
  value.before.bio = bio;
  value.after.bio = bio;
  return { key: JSON.stringify({ id }), value: JSON.stringify(value) };
}

async function produceAll(topic: string, count: number): Promise<number> {
  const producer = createRawProducer(kafka);
  let bytes = 0;
  for (let start = 0; start < count; start += 2_000) {
    const messages: RawRecord[] = [];
    for (let index = start; index < Math.min(count, start + 2_000); index++) {
      messages.push(debeziumEvent(1 + (index % ROWS), 1_000_000 + index * 8));
    }
    bytes += messages.reduce((sum, message) => sum + String(message.value).length, 0);
    // Every in-sync replica: the raw producer is idempotent, which needs it.
    await producer.send(topic, messages);
  }
  await producer.close();
  return bytes / count;
}

interface ChildResult {
  mode: string;
  messages: number;
  seconds: number;
  /** After the warm-up (throughput runs); from the first message, in `cold_*`. */
  events_per_s: number;
  cpu_us_per_event: number;
  cold_events_per_s: number;
  cold_cpu_us_per_event: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  /** Latency run: p99 with the warm-up's latencies too. */
  cold_latency_p99_ms: number;
  /** Latency run: client received → Redis acknowledged (the wait in the client's buffer included). */
  from_client_p50_ms: number;
  from_client_p99_ms: number;
  rss_mb: number;
  /** The consumer's event loop delays and GC pauses while it ran, in ms. */
  loop_delay_p50_ms: number;
  loop_delay_p99_ms: number;
  loop_delay_max_ms: number;
  gc_pauses: number;
  gc_pause_p99_ms: number;
  gc_pause_max_ms: number;
  gc_pause_total_ms: number;
  gc_pause_max_ms_by_kind: Record<string, number>;
  /** Redis' and the broker's CPU over the whole run (warm-up included) per message read; null when unseen. */
  redis_cpu_us_per_event: number;
  /** Of that, Redis executing the commands consumers send (the scripts with their inner calls, UNLINK). */
  redis_command_us_per_event: number;
  broker_cpu_us_per_event: number | null;
}

/** The commands the worker and the floor send (a script's inner calls, DEL among them, are counted inside it). */
const SENT_COMMANDS = ['evalsha', 'eval', 'unlink'];

/** A connection for the Redis server's own CPU figures (INFO cpu), opened on first use. */
let infoClient: Redis | undefined;

/**
 * Run one consumer process (see {@link runConsumer}), and count what Redis and the broker spent meanwhile,
 * per message it read: on a machine they share, their CPU is part of the cost of each event too.
 */
async function consume(
  mode: 'worker' | 'naive' | 'consume' | 'floor',
  topic: string,
  messages: number,
  options: Parameters<typeof runConsumer>[3] = {},
): Promise<ChildResult> {
  infoClient ??= new Redis(REDIS_URL);
  const redisBefore = await redisServerCpuUs(infoClient);
  const commandsBefore = await redisCommandUs(infoClient, SENT_COMMANDS);
  const brokerBefore = BROKER_PID ? processCpuUs(BROKER_PID) : undefined;
  const result = await runConsumer(mode, topic, messages, options);
  const read = messages + (options.warmupMessages ?? 0);
  const brokerAfter = BROKER_PID ? processCpuUs(BROKER_PID) : undefined;
  return {
    ...result,
    redis_cpu_us_per_event: ((await redisServerCpuUs(infoClient)) - redisBefore) / read,
    redis_command_us_per_event: ((await redisCommandUs(infoClient, SENT_COMMANDS)) - commandsBefore) / read,
    broker_cpu_us_per_event:
      brokerBefore === undefined || brokerAfter === undefined ? null : (brokerAfter - brokerBefore) / read,
  };
}

/** Run one consumer process; `onReady` runs once it reports ready (latency mode). */
function runConsumer(
  mode: 'worker' | 'naive' | 'consume' | 'floor',
  topic: string,
  messages: number,
  options: {
    latest?: boolean;
    warmupMs?: number;
    /** Read this many first, then `messages` counted. */
    warmupMessages?: number;
    onReady?: () => Promise<void>;
    concurrency?: number;
  } = {},
): Promise<
  Omit<ChildResult, 'redis_cpu_us_per_event' | 'redis_command_us_per_event' | 'broker_cpu_us_per_event'>
> {
  const task = {
    mode,
    topic,
    groupId: `${run}-${mode}-${randomBytes(2).toString('hex')}`,
    brokers: BROKERS,
    redisUrl: REDIS_URL,
    prefix,
    table: TABLE,
    messages: messages + (options.warmupMessages ?? 0),
    latest: options.latest ?? false,
    warmupMs: options.warmupMs ?? 0,
    warmupMessages: options.warmupMessages ?? 0,
    concurrency: options.concurrency ?? (mode === 'naive' ? 1 : WORKER_CONCURRENCY),
  };
  const profile =
    process.env['BENCH_KAFKA_CPU_PROF'] === mode
      ? ['--cpu-prof', `--cpu-prof-dir=${join(tmpdir(), 'cdc-cache-bench-prof')}`]
      : [];
  const child = spawn(
    process.execPath,
    [...profile, ...NODE_FLAGS, join(__dirname, 'kafka-child.js'), JSON.stringify(task)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let buffer = '';
    let result: ChildResult | undefined;
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = JSON.parse(buffer.slice(0, newline)) as { ready?: boolean } & ChildResult;
        buffer = buffer.slice(newline + 1);
        if (line.ready) options.onReady?.().catch(reject);
        else result = line;
        newline = buffer.indexOf('\n');
      }
    });
    child.once('exit', (code) =>
      result && code === 0 ? resolve(result) : reject(new Error(`${mode} exited with ${code}`)),
    );
  });
}

/** The run with the median throughput. */
function median(runs: ChildResult[]): ChildResult {
  const sorted = [...runs].sort((a, b) => a.events_per_s - b.events_per_s);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Produce at `rate` events/s for `seconds`, in 10 ms ticks. */
async function producePaced(topic: string, rate: number, seconds: number): Promise<void> {
  const producer = createRawProducer(kafka);
  const perTick = rate / 100;
  const started = performance.now();
  let sent = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + perTick);
    const messages: RawRecord[] = [];
    for (; sent < due; sent++) messages.push(debeziumEvent(1 + (sent % ROWS), 5_000_000 + sent * 8));
    // A late tick (a loaded machine) catches up in slices: one record batch must stay under the broker's 1 MB.
    for (let start = 0; start < messages.length; start += 500) {
      await producer.send(topic, messages.slice(start, start + 500));
    }
    await new Promise((done) => setTimeout(done, 10));
  }
  await producer.close();
}

/**
 * The limits of the worker's own work on these events, measured in this process: JSON.parse of the same
 * message bytes, the Redis round trip, and a raw pipelined SET and UNLINK of the same keys (one per event,
 * batches of 500, WORKER_CONCURRENCY in flight) with the worker's client library.
 */
async function limits(count: number) {
  const values = Array.from({ length: Math.min(count, 20_000) }, (_unused, index) =>
    Buffer.from(String(debeziumEvent(1 + (index % ROWS), 1_000_000 + index * 8).value)),
  );
  const parseUs = parseCostUs(values);
  const redis = new Redis(REDIS_URL);
  try {
    const rtt = await redisRoundTrip(redis);
    const keys = Array.from({ length: Math.min(count, ROWS) }, (_unused, index) => [
      `${prefix}floor:user:${index + 1}`,
    ]);
    const floor = await rawRedisFloor(redis, keys, 500, WORKER_CONCURRENCY);
    return { parseUs, rtt, floor };
  } finally {
    redis.disconnect();
  }
}

/** One consumer of `mode` reading `topic` from its end while it is fed at LATENCY_RATE, warm-up first. */
function pacedRun(mode: 'worker' | 'consume' | 'floor', topic: string): Promise<ChildResult> {
  const seconds = WARMUP_SECONDS + LATENCY_SECONDS;
  return consume(mode, topic, LATENCY_RATE * seconds, {
    latest: true,
    warmupMs: WARMUP_SECONDS * 1000,
    onReady: () => producePaced(topic, LATENCY_RATE, seconds),
  });
}

/**
 * The added latency at LATENCY_RATE: the worker's (handler took the chunk, and client received each message →
 * Redis acknowledged), then the bare client's produced → received on a topic of its own at the same rate, then
 * the floor worker's received → acknowledged.
 */
async function latencyRuns(latencyTopic: string, consumeLatencyTopic: string, floorLatencyTopic: string) {
  console.log(
    `added latency at ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s after ${WARMUP_SECONDS} s of warm-up ...`,
  );
  const paced = await pacedRun('worker', latencyTopic);
  console.log(
    `added latency p50 ${paced.latency_p50_ms.toFixed(2)} ms, p99 ${paced.latency_p99_ms.toFixed(2)} ms; from the client's receipt p50 ${paced.from_client_p50_ms.toFixed(2)} ms, p99 ${paced.from_client_p99_ms.toFixed(2)} ms`,
  );
  // The same paced load read by the bare client: its produced → received tail is the machine's (broker,
  // scheduling, GC of a consumer that does nothing), to set beside the worker's added latency.
  const pacedConsume = await pacedRun('consume', consumeLatencyTopic);
  console.log(
    `consume-only produced → received p50 ${pacedConsume.latency_p50_ms.toFixed(2)} ms, p99 ${pacedConsume.latency_p99_ms.toFixed(2)} ms`,
  );

  // The floor worker (JSON.parse, one UNLINK per burst) at the same rate: received → Redis acknowledged.
  const pacedFloor = await pacedRun('floor', floorLatencyTopic);
  console.log(
    `floor worker received → acknowledged p50 ${pacedFloor.latency_p50_ms.toFixed(2)} ms, p99 ${pacedFloor.latency_p99_ms.toFixed(2)} ms`,
  );
  return { paced, pacedConsume, pacedFloor };
}

/** The latency figures of the final JSON line. */
function latencyFields(paced: ChildResult, pacedConsume: ChildResult, pacedFloor: ChildResult) {
  return {
    latency_rate_per_s: LATENCY_RATE,
    added_latency_p50_ms: round(paced.latency_p50_ms, 2),
    added_latency_p99_ms: round(paced.latency_p99_ms, 2),
    // The same with the first WARMUP_SECONDS of the run (a freshly started worker).
    cold_added_latency_p99_ms: round(paced.cold_latency_p99_ms, 2),
    warmup_s: WARMUP_SECONDS,
    // The same, clocked from the client's receipt: the wait in its buffer before the handler took the chunk too.
    received_latency_p50_ms: round(paced.from_client_p50_ms, 2),
    received_latency_p99_ms: round(paced.from_client_p99_ms, 2),
    consume_only_latency_p50_ms: round(pacedConsume.latency_p50_ms, 2),
    consume_only_latency_p99_ms: round(pacedConsume.latency_p99_ms, 2),
    // The floor worker's received → acknowledged: the added latency's own floor on this machine.
    floor_latency_p50_ms: round(pacedFloor.latency_p50_ms, 2),
    floor_latency_p99_ms: round(pacedFloor.latency_p99_ms, 2),
    // Where a tail comes from: the worker's event loop delays and GC pauses over the paced run, and the bare client's.
    worker_loop_delay_p99_ms: round(paced.loop_delay_p99_ms, 2),
    worker_loop_delay_max_ms: round(paced.loop_delay_max_ms, 2),
    worker_gc_pause_p99_ms: round(paced.gc_pause_p99_ms, 2),
    worker_gc_pause_max_ms: round(paced.gc_pause_max_ms, 2),
    worker_gc_pause_total_ms: round(paced.gc_pause_total_ms, 1),
    worker_gc_pauses: paced.gc_pauses,
    worker_gc_pause_max_ms_by_kind: paced.gc_pause_max_ms_by_kind,
    consume_only_loop_delay_p99_ms: round(pacedConsume.loop_delay_p99_ms, 2),
    consume_only_gc_pause_max_ms: round(pacedConsume.gc_pause_max_ms, 2),
  };
}

async function main(): Promise<void> {
  const machine = machineFacts();
  const topic = `${run}.public.users`;
  const latencyTopic = `${run}-latency.public.users`;
  const consumeLatencyTopic = `${run}-consume-latency.public.users`;
  const floorLatencyTopic = `${run}-floor-latency.public.users`;
  const topics = [topic, latencyTopic, consumeLatencyTopic, floorLatencyTopic];
  await createTopics(topics, { ...kafka, partitions: PARTITIONS });
  try {
    if (LATENCY_ONLY) {
      const { paced, pacedConsume, pacedFloor } = await latencyRuns(
        latencyTopic,
        consumeLatencyTopic,
        floorLatencyTopic,
      );
      console.log(
        JSON.stringify({
          bench: 'kafka',
          only: 'latency',
          ...latencyFields(paced, pacedConsume, pacedFloor),
          ...machine,
        }),
      );
      return;
    }
    console.log(
      `producing ${WARMUP_EVENTS} + ${EVENTS} events over ${PARTITIONS} partitions to ${topic} ...`,
    );
    const eventBytes = await produceAll(topic, WARMUP_EVENTS + EVENTS);
    const warm = { warmupMessages: WARMUP_EVENTS };
    console.log(`event size ${Math.round(eventBytes)} B`);

    // The box is shared: alternate the two and keep each one's median round.
    const consumeRuns: ChildResult[] = [];
    const floorRuns: ChildResult[] = [];
    const workerRuns: ChildResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const consumeRun = await consume('consume', topic, EVENTS, warm);
      const floorRun = await consume('floor', topic, EVENTS, warm);
      const workerRun = await consume('worker', topic, EVENTS, warm);
      consumeRuns.push(consumeRun);
      floorRuns.push(floorRun);
      workerRuns.push(workerRun);
      console.log(
        `round ${round}: consume-and-discard ${Math.round(consumeRun.events_per_s)} events/s, floor (parse + UNLINK) ${Math.round(floorRun.events_per_s)}, cdc-cache worker ${Math.round(workerRun.events_per_s)} events/s (rss ${Math.round(workerRun.rss_mb)} MB)`,
      );
    }
    const limit = await limits(EVENTS);
    const consumeOnly = median(consumeRuns);
    const worker = median(workerRuns);
    const naiveWarm = { warmupMessages: NAIVE_WARMUP_EVENTS };
    const naive = await consume('naive', topic, NAIVE_EVENTS, naiveWarm);
    console.log(
      `naive (DEL/event):   ${Math.round(naive.events_per_s)} events/s (first ${NAIVE_EVENTS} events)`,
    );
    const naiveConcurrent = await consume('naive', topic, NAIVE_EVENTS, {
      ...naiveWarm,
      concurrency: PARTITIONS,
    });
    console.log(
      `naive, ${PARTITIONS} partitions at once: ${Math.round(naiveConcurrent.events_per_s)} events/s`,
    );

    const { paced, pacedConsume, pacedFloor } = await latencyRuns(
      latencyTopic,
      consumeLatencyTopic,
      floorLatencyTopic,
    );

    // Per-round ratios, worker (or floor) against the consume-and-discard run of the same round.
    const perRound = (
      pick: (worker: ChildResult, consume: ChildResult) => number,
      runs: ChildResult[] = workerRuns,
    ) => middle(runs.map((each, index) => pick(each, consumeRuns[index]!)));
    const floor = median(floorRuns);
    // The machine's CPU per event: the consumer's (after its warm-up) plus Redis' and the broker's, and the
    // most events/s its cores could give that at all.
    const machineCpu = (each: ChildResult) =>
      each.cpu_us_per_event + each.redis_cpu_us_per_event + (each.broker_cpu_us_per_event ?? 0);
    const ceiling = (each: ChildResult) => (machine.cpus * 1_000_000) / machineCpu(each);
    console.log(
      JSON.stringify({
        bench: 'kafka',
        // Machine-independent: against its own client's consume-and-discard and JSON.parse of the same bytes.
        ratio_vs_consume_only: round(
          perRound((w, c) => w.events_per_s / c.events_per_s),
          3,
        ),
        cpu_vs_consume_only: round(
          perRound((w, c) => w.cpu_us_per_event / c.cpu_us_per_event),
          2,
        ),
        // The floor (JSON.parse + one UNLINK per burst, nothing else) against consume-only in the same rounds: the
        // most ratio_vs_consume_only any worker on this client reaches on this machine.
        floor_ratio_vs_consume_only: round(
          perRound((f, c) => f.events_per_s / c.events_per_s, floorRuns),
          3,
        ),
        floor_cpu_us_per_event: round(floor.cpu_us_per_event, 2),
        floor_events_per_s: round(floor.events_per_s),
        ratio_vs_floor: round(
          middle(workerRuns.map((each, index) => each.events_per_s / floorRuns[index]!.events_per_s)),
          3,
        ),
        cost_vs_parse: round(worker.cpu_us_per_event / limit.parseUs, 2),
        added_cpu_vs_parse: round(
          (worker.cpu_us_per_event - consumeOnly.cpu_us_per_event) / limit.parseUs,
          2,
        ),
        ratio_vs_raw_unlink: round(worker.events_per_s / limit.floor.unlink.events_per_s, 3),
        cpu_us_per_event: round(worker.cpu_us_per_event, 2),
        consume_only_cpu_us_per_event: round(consumeOnly.cpu_us_per_event, 2),
        parse_us_per_event: round(limit.parseUs, 2),
        raw_unlink_events_per_s: limit.floor.unlink.events_per_s,
        redis_rtt_p50_us: limit.rtt.rtt_p50_us,
        redis_rtt_p99_us: limit.rtt.rtt_p99_us,
        events: EVENTS,
        rounds: ROUNDS,
        naive_events: NAIVE_EVENTS,
        partitions: PARTITIONS,
        event_bytes: Math.round(eventBytes),
        events_per_s: round(worker.events_per_s),
        naive_events_per_s: round(naive.events_per_s),
        ratio_vs_naive: round(worker.events_per_s / naive.events_per_s, 2),
        naive_concurrent_events_per_s: round(naiveConcurrent.events_per_s),
        ratio_vs_naive_concurrent: round(worker.events_per_s / naiveConcurrent.events_per_s, 2),
        consume_only_events_per_s: round(consumeOnly.events_per_s),
        // Where the rest of the machine goes (whole runs, per message read): Redis and the broker share the
        // cores with the consumer, so a consumer that asks more of Redis leaves itself less CPU.
        redis_cpu_us_per_event: round(worker.redis_cpu_us_per_event, 2),
        floor_redis_cpu_us_per_event: round(floor.redis_cpu_us_per_event, 2),
        // Of Redis' CPU, executing the commands sent (the rest: reading requests, writing replies, expiring keys).
        redis_command_us_per_event: round(worker.redis_command_us_per_event, 2),
        floor_redis_command_us_per_event: round(floor.redis_command_us_per_event, 2),
        broker_cpu_us_per_event:
          worker.broker_cpu_us_per_event === null ? null : round(worker.broker_cpu_us_per_event, 2),
        consume_only_broker_cpu_us_per_event:
          consumeOnly.broker_cpu_us_per_event === null ? null : round(consumeOnly.broker_cpu_us_per_event, 2),
        machine_cpu_us_per_event: round(machineCpu(worker), 2),
        floor_machine_cpu_us_per_event: round(machineCpu(floor), 2),
        consume_only_machine_cpu_us_per_event: round(machineCpu(consumeOnly), 2),
        // cpus × 1 s / the machine's CPU per event: no consumer of this kind goes faster on these cores.
        machine_ceiling_events_per_s: round(ceiling(worker)),
        floor_machine_ceiling_events_per_s: round(ceiling(floor)),
        consume_only_machine_ceiling_events_per_s: round(ceiling(consumeOnly)),
        // The most ratio_vs_naive and ratio_vs_consume_only a worker costing the machine this much reaches here.
        machine_ceiling_vs_naive: round(ceiling(worker) / naive.events_per_s, 2),
        machine_ceiling_vs_consume_only: round(ceiling(worker) / consumeOnly.events_per_s, 3),
        // The same runs counted from their first message, warm-up included (the figures before it was kept apart).
        warmup_events: WARMUP_EVENTS,
        cold_ratio_vs_consume_only: round(
          perRound((w, c) => w.cold_events_per_s / c.cold_events_per_s),
          3,
        ),
        cold_events_per_s: round(worker.cold_events_per_s),
        cold_cpu_us_per_event: round(worker.cold_cpu_us_per_event, 2),
        cold_floor_events_per_s: round(floor.cold_events_per_s),
        kafka_client: '@platformatic/kafka',
        ...latencyFields(paced, pacedConsume, pacedFloor),
        rss_mb: round(worker.rss_mb),
        worker_concurrency: WORKER_CONCURRENCY,
        ...machine,
      }),
    );
  } finally {
    if (infoClient) await deleteKeysWithPrefix(infoClient, prefix);
    infoClient?.disconnect();
    await deleteTopics([...topics, `${topic}.dlq`, `${latencyTopic}.dlq`], kafka).catch(() => undefined);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
