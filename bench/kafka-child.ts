// One consumer of the Kafka benchmark, in its own process so throughput and memory are its own.
// Modes: worker (cdc-cache's Kafka worker on @platformatic/kafka), naive (kafkajs eachMessage + one awaited DEL),
// consume (@platformatic/kafka consume and discard, with the worker's fetch sizes) and consume-kafkajs (kafkajs
// eachBatch consume and discard: the previous client, as a baseline).
// Reads its task as JSON from argv[2]; prints one JSON result line on stdout.
import { Consumer, MessagesStreamFallbackModes, MessagesStreamModes } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
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
  readonly mode: 'worker' | 'naive' | 'consume' | 'consume-kafkajs';
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
  readonly concurrency: number;
}

const task = JSON.parse(process.argv[2]!) as Task;
const kafka = new Kafka({
  brokers: task.brokers,
  clientId: `bench-${task.mode}`,
  logLevel: logLevel.NOTHING,
});
const client = kafkaClientConfig({ brokers: task.brokers, clientId: `bench-${task.mode}` });
const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

let firstAt = 0;
let firstCpu: NodeJS.CpuUsage | undefined;
let count = 0;
let peakRss = 0;
const latencies: number[] = [];
let finish: () => void = () => undefined;
const finished = new Promise<void>((resolve) => {
  finish = resolve;
});
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

/** Count processed messages; the clock starts when the first of them was received. */
function counted(messages: number, receivedAt: number = performance.now()): void {
  if (firstAt === 0) {
    firstAt = receivedAt;
    firstCpu = process.cpuUsage();
  }
  count += messages;
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
    onChunkApplied: ({ receivedAt, messages }) => {
      const latency = performance.now() - receivedAt;
      for (let index = 0; index < messages; index++) latencies.push(latency);
      counted(messages, receivedAt);
    },
  });
  await worker.start();
  return async () => {
    await worker.stop();
    await engine.close();
    redis.disconnect();
  };
}

async function runNaive(): Promise<() => Promise<void>> {
  const redis = new Redis(task.redisUrl);
  const consumer = kafka.consumer({ groupId: task.groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [task.topic], fromBeginning: !task.latest });
  await consumer.run({
    partitionsConsumedConcurrently: task.concurrency,
    eachMessage: async ({ message }) => {
      const receivedAt = performance.now();
      const event = JSON.parse(message.value!.toString()) as {
        after?: { id: number };
        before?: { id: number };
      };
      const row = event.after ?? event.before;
      await redis.del(`${task.prefix}user:${row!.id}`);
      latencies.push(performance.now() - receivedAt);
      counted(1, receivedAt);
    },
  });
  return async () => {
    await consumer.disconnect();
    redis.disconnect();
  };
}

async function runConsumeOnly(): Promise<() => Promise<void>> {
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
  stream.on('data', () => counted(1));
  return async () => {
    await stream.close();
    await consumer.close(true);
  };
}

async function runConsumeOnlyKafkajs(): Promise<() => Promise<void>> {
  const consumer = kafka.consumer({ groupId: task.groupId });
  await consumer.connect();
  await consumer.subscribe({ topics: [task.topic], fromBeginning: !task.latest });
  await consumer.run({
    partitionsConsumedConcurrently: task.concurrency,
    eachBatch: async ({ batch }) => {
      counted(batch.messages.length);
    },
  });
  return async () => {
    await consumer.disconnect();
  };
}

async function main(): Promise<void> {
  const stop = await (task.mode === 'worker'
    ? runWorker()
    : task.mode === 'naive'
      ? runNaive()
      : task.mode === 'consume'
        ? runConsumeOnly()
        : runConsumeOnlyKafkajs());
  if (task.latest) {
    // Give the group a moment to settle on its assignment before the driver starts producing.
    await new Promise((done) => setTimeout(done, 3000));
    say({ ready: true });
  }
  await finished;
  const seconds = (performance.now() - firstAt) / 1000;
  // CPU time of the whole process (client, decoding, engine, GC threads) from the first message to the last.
  const cpu = process.cpuUsage(firstCpu);
  clearInterval(rssTimer);
  latencies.sort((a, b) => a - b);
  const percentile = (p: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  say({
    mode: task.mode,
    messages: count,
    seconds,
    events_per_s: count / seconds,
    cpu_us_per_event: (cpu.user + cpu.system) / count,
    latency_p50_ms: percentile(0.5),
    latency_p99_ms: percentile(0.99),
    rss_mb: peakRss / 1_048_576,
  });
  await stop();
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
