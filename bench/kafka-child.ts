// One consumer of the Kafka benchmark, in its own process so throughput and memory are its own.
// Modes, all on @platformatic/kafka: worker (cdc-cache's Kafka worker), naive (one awaited DEL per message, the
// messages of `concurrency` partitions at a time), consume (consume and discard, with the worker's fetch sizes)
// and floor (the least any worker on this client must do: JSON.parse each message, one UNLINK per burst).
// Reads its task as JSON from argv[2]; prints one JSON result line on stdout.

import { subscribe } from 'node:diagnostics_channel';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import {
  Consumer,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { createInvalidationEngine } from '../src/core/create-invalidation-engine';
import { keyspaceColumns, keyspaceFromData } from '../src/keyspace';
import { createKafkaWorker } from '../src/runtimes/kafka-worker/create-kafka-worker';
import { createWorkerMetrics } from '../src/runtimes/kafka-worker/worker-metrics';
import { createRuntimeMetrics } from '../src/runtimes/shared/create-runtime-metrics';
import { createJsonMessageDecoder } from '../src/sources/debezium';
import {
  createKafkaConsumer,
  createKafkaProducer,
  KAFKA_CONSUMER_DEFAULTS,
  kafkaClientConfig,
} from '../src/sources/kafka';

interface Task {
  readonly mode: 'worker' | 'naive' | 'consume' | 'floor';
  readonly topic: string;
  readonly groupId: string;
  readonly brokers: string[];
  readonly redisUrl: string;
  readonly prefix: string;
  readonly table: string;
  /** Stop after this many messages. */
  readonly messages: number;
  /** Start from the latest offset and report `ready` first (latency run). */
  readonly latest?: boolean;
  /**
   * Latency run: latencies of messages received within this many ms of the first are kept apart (the cold
   * start: JIT compilation, first connections), and the loop and GC figures start after it.
   */
  readonly warmupMs?: number;
  /**
   * Throughput run: the first this many messages warm the process up (JIT compilation, connections, the
   * group's first fetches); events/s and CPU per event count from the next one. A worker runs for hours.
   */
  readonly warmupMessages?: number;
  readonly concurrency: number;
}

const task = JSON.parse(process.argv[2]!) as Task;
const client = kafkaClientConfig({ brokers: task.brokers, clientId: `bench-${task.mode}` });
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

let firstAt = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
let count = 0;
const warmupMessages = task.warmupMessages ?? 0;
/** Where the warm-up ended: the time, the CPU used and the messages counted then. */
let steadyAt = 0;
let steadyCpu: NodeJS.CpuUsage | undefined;
let steadyCount = 0;
let peakRss = 0;
/** Latencies after the warm-up; with it, in `coldLatencies`. */
const latencies: number[] = [];
const coldLatencies: number[] = [];
/** Latency run: client received → Redis acknowledged, the wait in the client's buffer included. */
const fromClient: number[] = [];
const warmupMs = task.warmupMs ?? 0;
/** Past the warm-up: the loop and GC figures count from then (from the first message without one). */
let measuring = false;

/** Keep one latency of a message received at `receivedAt` (performance.now()). */
function sample(latency: number, receivedAt: number, into: number[] = latencies): void {
  if (into === latencies) coldLatencies.push(latency);
  if (firstAt !== 0 && receivedAt - firstAt >= warmupMs) into.push(latency);
}
/** When the client received each message (`partition:offset`), until its chunk is acknowledged. */
const clientReceivedAt = new Map<string, number>();
let finish: () => void = () => undefined;
const finished = new Promise<void>((resolve) => {
  finish = resolve;
});
// Where a latency tail comes from: the event loop's delays and the GC's pauses over the run, in ms.
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
const gcPauses: number[] = [];
/** The longest pause of each GC kind (`minor` scavenges, `major` mark-compacts, ...), in ms. */
const gcMaxByKind: Record<string, number> = {};
const GC_KINDS: Record<number, string> = { 1: 'minor', 2: 'major', 4: 'incremental', 8: 'weakcb' };
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.push(entry.duration);
    const kind = GC_KINDS[(entry as { detail?: { kind?: number } }).detail?.kind ?? 0] ?? 'other';
    gcMaxByKind[kind] = Math.max(gcMaxByKind[kind] ?? 0, entry.duration);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

/** Count processed messages; the clock starts when the first of them was received (`firstAt`, if set before). */
function counted(messages: number, receivedAt: number = performance.now()): void {
  if (firstCpu === undefined) {
    if (firstAt === 0) firstAt = receivedAt;
    firstCpu = process.cpuUsage();
  }
  if (!measuring && receivedAt - firstAt >= warmupMs) {
    measuring = true;
    loopDelay.reset();
    gcPauses.length = 0;
    for (const kind of Object.keys(gcMaxByKind)) delete gcMaxByKind[kind];
  }
  count += messages;
  // Without a warm-up, from the first message; with one, from the end of the call that completed it (its
  // messages were handled before then, so they count as warm-up).
  if (steadyCpu === undefined && warmupMessages === 0) {
    steadyAt = firstAt;
    steadyCpu = firstCpu;
  } else if (steadyCpu === undefined && count >= warmupMessages) {
    steadyAt = performance.now();
    steadyCpu = process.cpuUsage();
    steadyCount = count;
  }
  if (count >= task.messages) finish();
}

async function runWorker(): Promise<() => Promise<void>> {
  const keyspace = keyspaceFromData({
    entities: { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: task.table }] } },
  });
  const redis = new Redis(task.redisUrl);
  // Metrics on, as `cdc-cache worker kafka` runs: the engine's and the worker's cost per event too.
  const { registry, instrumentation } = createRuntimeMetrics();
  const engine = createInvalidationEngine({ keyspace, redis, prefix: task.prefix, instrumentation });
  const worker = createKafkaWorker({
    consumer: createKafkaConsumer({
      kafka: client,
      groupId: task.groupId,
      topics: [task.topic],
      fromBeginning: !task.latest,
      partitionsConsumedConcurrently: task.concurrency,
    }),
    producer: createKafkaProducer({ kafka: client }),
    engine,
    // As `cdc-cache worker kafka` builds it: only the columns the keyspace reads.
    decoder: createJsonMessageDecoder({ columns: keyspaceColumns(keyspace) }),
    deadLetterTopic: `${task.topic}.dlq`,
    metrics: createWorkerMetrics(registry),
    onChunkApplied: ({ receivedAt, messages, partition, firstOffset, lastOffset }) => {
      const now = performance.now();
      const latency = now - receivedAt;
      if (firstAt === 0) firstAt = receivedAt;
      for (let index = 0; index < messages; index++) sample(latency, receivedAt);
      if (task.latest) {
        for (let offset = BigInt(firstOffset); offset <= BigInt(lastOffset); offset++) {
          const key = `${partition}:${offset}`;
          const at = clientReceivedAt.get(key);
          if (at === undefined) continue;
          sample(now - at, receivedAt, fromClient);
          clientReceivedAt.delete(key);
        }
      }
      counted(messages, receivedAt);
    },
  });
  // The handler's clock starts when it takes a chunk; a message may have waited in the client's buffer before
  // (for the previous read's partitions to finish). The client publishes each message it hands out here.
  if (task.latest) {
    subscribe('tracing:plt:kafka:consumer:receives:asyncStart', (context) => {
      const message = (context as { result: Message }).result;
      clientReceivedAt.set(`${message.partition}:${message.offset}`, performance.now());
    });
  }
  await worker.start();
  return async () => {
    await worker.stop();
    await engine.close();
    redis.disconnect();
  };
}

/** A stream of the task's topic with the worker's fetch sizes; offsets committed by the client. */
async function openStream(): Promise<{
  stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  close: () => Promise<void>;
}> {
  const consumer = new Consumer({
    ...client,
    groupId: task.groupId,
    autocommit: true,
    maxBytesPerPartition: KAFKA_CONSUMER_DEFAULTS.maxBytesPerPartition,
    highWaterMark: KAFKA_CONSUMER_DEFAULTS.maxBufferedMessages,
  });
  const stream = await consumer.consume({
    topics: [task.topic],
    mode: MessagesStreamModes.COMMITTED,
    fallbackMode: task.latest ? MessagesStreamFallbackModes.LATEST : MessagesStreamFallbackModes.EARLIEST,
  });
  return {
    stream,
    close: async () => {
      await stream.close();
      await consumer.close(true);
    },
  };
}

async function runNaive(): Promise<() => Promise<void>> {
  const redis = new Redis(task.redisUrl);
  const { stream, close } = await openStream();
  const handle = async (message: Message) => {
    const receivedAt = performance.now();
    const event = JSON.parse(message.value.toString()) as {
      after?: { id: number };
      before?: { id: number };
    };
    const row = event.after ?? event.before;
    await redis.del(`${task.prefix}user:${row!.id}`);
    latencies.push(performance.now() - receivedAt);
    counted(1, receivedAt);
  };
  // One chain of awaited DELs per partition (a single chain when `concurrency` is 1), fed by the stream's
  // 'data' events; the stream pauses while too many messages wait, as a hand-written consumer would.
  const chains = new Map<number, Promise<void>>();
  let waiting = 0;
  stream.on('data', (message: Message) => {
    const lane = task.concurrency === 1 ? 0 : message.partition;
    waiting += 1;
    if (waiting >= 1_000) stream.pause();
    const chain = (chains.get(lane) ?? Promise.resolve()).then(async () => {
      await handle(message);
      waiting -= 1;
      if (waiting < 100 && stream.isPaused()) stream.resume();
    });
    chains.set(lane, chain);
  });
  return async () => {
    stream.pause();
    await Promise.all(chains.values());
    await close();
    redis.disconnect();
  };
}

/** Most keys per UNLINK of the floor, as the engine's batches. */
const FLOOR_BATCH = 500;

/**
 * The floor of a worker on this client: parse every message whole (JSON.parse, as the decoder's own floor) and
 * delete its key, the keys of one burst of messages in one UNLINK, `concurrency` UNLINKs in flight. No
 * projection, no versions, no per-partition order, no commits of its own: what remains of the worker's job
 * when all of that costs nothing. A message counts once its UNLINK is acknowledged.
 */
async function runFloor(): Promise<() => Promise<void>> {
  const redis = new Redis(task.redisUrl);
  const { stream, close } = await openStream();
  let keys: string[] = [];
  /** Latency run: when each message of `keys` was received. */
  let receivedAt: number[] = [];
  let inFlight = 0;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (keys.length === 0) return;
    const batch = keys;
    const received = receivedAt;
    keys = [];
    receivedAt = [];
    inFlight++;
    if (inFlight >= task.concurrency) stream.pause();
    void redis.unlink(...batch).then(() => {
      inFlight--;
      const now = performance.now();
      if (firstAt === 0) firstAt = received[0] ?? now;
      for (const at of received) sample(now - at, at);
      counted(batch.length);
      if (inFlight < task.concurrency && stream.isPaused()) stream.resume();
    });
  };
  stream.on('data', (message: Message) => {
    if (task.latest) receivedAt.push(performance.now());
    const event = JSON.parse(message.value.toString()) as { after?: { id: number }; before?: { id: number } };
    keys.push(`${task.prefix}user:${(event.after ?? event.before)!.id}`);
    if (keys.length >= FLOOR_BATCH) flush();
    else if (!scheduled) {
      scheduled = true;
      setImmediate(flush);
    }
  });
  return async () => {
    stream.pause();
    await close();
    redis.disconnect();
  };
}

async function runConsumeOnly(): Promise<() => Promise<void>> {
  const { stream, close } = await openStream();
  if (task.latest) {
    // The machine's own tail at the paced rate: produced (the record's timestamp) → received by the bare client.
    stream.on('data', (message: Message) => {
      const receivedAt = performance.now();
      if (firstAt === 0) firstAt = receivedAt;
      sample(Date.now() - Number(message.timestamp), receivedAt);
      counted(1, receivedAt);
    });
  } else stream.on('data', () => counted(1));
  return close;
}

async function main(): Promise<void> {
  const runs = { worker: runWorker, naive: runNaive, consume: runConsumeOnly, floor: runFloor };
  const stop = await runs[task.mode]();
  if (task.latest) {
    // Give the group a moment to settle on its assignment before the driver starts producing.
    await new Promise((done) => setTimeout(done, 3000));
    say({ ready: true });
  }
  await finished;
  const endedAt = performance.now();
  const seconds = (endedAt - firstAt) / 1000;
  // CPU time of the whole process (client, decoding, engine, GC threads) from the first message to the last,
  // and from the end of the warm-up to the last.
  const cpu = process.cpuUsage(firstCpu);
  const steadySeconds = (endedAt - steadyAt) / 1000;
  const steadyCpuUsed = process.cpuUsage(steadyCpu);
  const steadyMessages = count - steadyCount;
  clearInterval(rssTimer);
  loopDelay.disable();
  gcObserver.disconnect();
  latencies.sort((a, b) => a - b);
  coldLatencies.sort((a, b) => a - b);
  fromClient.sort((a, b) => a - b);
  gcPauses.sort((a, b) => a - b);
  const percentile = (p: number, sorted = latencies) =>
    sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
  say({
    mode: task.mode,
    messages: steadyMessages,
    seconds: steadySeconds,
    events_per_s: steadyMessages / steadySeconds,
    cpu_us_per_event: (steadyCpuUsed.user + steadyCpuUsed.system) / steadyMessages,
    cold_events_per_s: count / seconds,
    cold_cpu_us_per_event: (cpu.user + cpu.system) / count,
    latency_p50_ms: percentile(0.5),
    latency_p99_ms: percentile(0.99),
    cold_latency_p99_ms: percentile(0.99, coldLatencies),
    from_client_p50_ms: percentile(0.5, fromClient),
    from_client_p99_ms: percentile(0.99, fromClient),
    rss_mb: peakRss / 1_048_576,
    loop_delay_p50_ms: loopDelay.percentile(50) / 1e6,
    loop_delay_p99_ms: loopDelay.percentile(99) / 1e6,
    loop_delay_max_ms: loopDelay.max / 1e6,
    gc_pauses: gcPauses.length,
    gc_pause_p99_ms: percentile(0.99, gcPauses),
    gc_pause_max_ms: gcPauses[gcPauses.length - 1] ?? 0,
    gc_pause_total_ms: gcPauses.reduce((sum, each) => sum + each, 0),
    gc_pause_max_ms_by_kind: gcMaxByKind,
  });
  await stop();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
