// npm run bench:kafka — the Kafka worker on real Kafka and real Redis, against two baselines in the same run:
// a naive consumer (kafkajs eachMessage + one awaited DEL per event) and consume-and-discard (the ceiling) on the
// worker's client, @platformatic/kafka, and on kafkajs (the client it replaced), alternated round by round.
// 1 KB Debezium JSON events over several partitions; each consumer runs in its own process.
// Then the added latency (message received → Redis acknowledged) at a paced 5,000 events/s.
// The last line is JSON. Sizes can be changed with env: BENCH_KAFKA_EVENTS, BENCH_KAFKA_NAIVE_EVENTS,
// BENCH_KAFKA_PARTITIONS, BENCH_KAFKA_LATENCY_SECONDS, BENCH_KAFKA_ROUNDS; BENCH_KAFKA_CPU_PROF=worker writes a CPU profile to $TMPDIR/cdc-cache-bench-prof/.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Message } from 'kafkajs';

const BROKERS = (process.env['CDC_CACHE_KAFKA_BROKERS'] ?? '127.0.0.1:9092').split(',');
const REDIS_URL = process.env['CDC_CACHE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const EVENTS = Number(process.env['BENCH_KAFKA_EVENTS'] ?? 100_000);
const NAIVE_EVENTS = Number(process.env['BENCH_KAFKA_NAIVE_EVENTS'] ?? 20_000);
const PARTITIONS = Number(process.env['BENCH_KAFKA_PARTITIONS'] ?? 6);
const LATENCY_RATE = 5_000;
const ROUNDS = Number(process.env['BENCH_KAFKA_ROUNDS'] ?? 3);
const LATENCY_SECONDS = Number(process.env['BENCH_KAFKA_LATENCY_SECONDS'] ?? 10);
// The worker's default concurrency; the naive consumer uses kafkajs' default (one partition at a time), and
// is also timed with one partition per slot, as a generous variant.
const WORKER_CONCURRENCY = 4;
const ROWS = 50_000;
const TABLE = 'public.users';
const EVENT_BYTES = 1024;
// The image's runtime flags (Dockerfile NODE_OPTIONS), for every consumer alike: a larger young generation
// lets the short-lived parsed messages die young instead of being promoted.
const NODE_FLAGS = ['--max-semi-space-size=32'];

const run = `bench-kafka-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
const prefix = `${run}:`;
const kafka = new Kafka({ brokers: BROKERS, clientId: run, logLevel: logLevel.NOTHING });

/** A Debezium PostgreSQL update envelope (schemas disabled) padded to about 1 KB. */
function debeziumEvent(id: number, lsn: number): Message {
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

async function createTopic(topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await admin.disconnect();
}

async function deleteTopics(topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics }).catch(() => undefined);
  await admin.disconnect();
}

async function produceAll(topic: string, count: number): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  let bytes = 0;
  for (let start = 0; start < count; start += 2_000) {
    const messages: Message[] = [];
    for (let index = start; index < Math.min(count, start + 2_000); index++) {
      messages.push(debeziumEvent(1 + (index % ROWS), 1_000_000 + index * 8));
    }
    bytes += messages.reduce((sum, message) => sum + String(message.value).length, 0);
    await producer.send({ topic, acks: 1, messages });
  }
  await producer.disconnect();
  return bytes / count;
}

interface ChildResult {
  mode: string;
  messages: number;
  seconds: number;
  events_per_s: number;
  latency_p50_ms: number;
  latency_p99_ms: number;
  rss_mb: number;
}

/** Run one consumer process; `onReady` runs once it reports ready (latency mode). */
function consume(
  mode: 'worker' | 'naive' | 'consume' | 'consume-kafkajs',
  topic: string,
  messages: number,
  options: { latest?: boolean; onReady?: () => Promise<void>; concurrency?: number } = {},
): Promise<ChildResult> {
  const task = {
    mode,
    topic,
    groupId: `${run}-${mode}-${randomBytes(2).toString('hex')}`,
    brokers: BROKERS,
    redisUrl: REDIS_URL,
    prefix,
    table: TABLE,
    messages,
    latest: options.latest ?? false,
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
  const producer = kafka.producer();
  await producer.connect();
  const perTick = rate / 100;
  const started = performance.now();
  let sent = 0;
  const total = rate * seconds;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) / 1000) * rate) + perTick);
    const messages: Message[] = [];
    for (; sent < due; sent++) messages.push(debeziumEvent(1 + (sent % ROWS), 5_000_000 + sent * 8));
    // A late tick (a loaded machine) catches up in slices: one record batch must stay under the broker's 1 MB.
    for (let start = 0; start < messages.length; start += 500) {
      await producer.send({ topic, acks: 1, messages: messages.slice(start, start + 500) });
    }
    await new Promise((done) => setTimeout(done, 10));
  }
  await producer.disconnect();
}

async function main(): Promise<void> {
  const topic = `${run}.public.users`;
  const latencyTopic = `${run}-latency.public.users`;
  await createTopic(topic);
  await createTopic(latencyTopic);
  try {
    console.log(`producing ${EVENTS} events over ${PARTITIONS} partitions to ${topic} ...`);
    const eventBytes = await produceAll(topic, EVENTS);
    console.log(`event size ${Math.round(eventBytes)} B`);

    // The box is shared: alternate the two and keep each one's median round.
    const consumeRuns: ChildResult[] = [];
    const kafkajsRuns: ChildResult[] = [];
    const workerRuns: ChildResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const consumeRun = await consume('consume', topic, EVENTS);
      const kafkajsRun = await consume('consume-kafkajs', topic, EVENTS);
      const workerRun = await consume('worker', topic, EVENTS);
      consumeRuns.push(consumeRun);
      kafkajsRuns.push(kafkajsRun);
      workerRuns.push(workerRun);
      console.log(
        `round ${round}: consume-and-discard ${Math.round(consumeRun.events_per_s)} events/s (kafkajs ${Math.round(kafkajsRun.events_per_s)}), cdc-cache worker ${Math.round(workerRun.events_per_s)} events/s (rss ${Math.round(workerRun.rss_mb)} MB)`,
      );
    }
    const consumeOnly = median(consumeRuns);
    const consumeOnlyKafkajs = median(kafkajsRuns);
    const worker = median(workerRuns);
    const naive = await consume('naive', topic, NAIVE_EVENTS);
    console.log(
      `naive (DEL/event):   ${Math.round(naive.events_per_s)} events/s (first ${NAIVE_EVENTS} events)`,
    );
    const naiveConcurrent = await consume('naive', topic, NAIVE_EVENTS, { concurrency: PARTITIONS });
    console.log(
      `naive, ${PARTITIONS} partitions at once: ${Math.round(naiveConcurrent.events_per_s)} events/s`,
    );

    console.log(`added latency at ${LATENCY_RATE} events/s for ${LATENCY_SECONDS} s ...`);
    const paced = await consume('worker', latencyTopic, LATENCY_RATE * LATENCY_SECONDS, {
      latest: true,
      onReady: () => producePaced(latencyTopic, LATENCY_RATE, LATENCY_SECONDS),
    });
    console.log(
      `added latency p50 ${paced.latency_p50_ms.toFixed(2)} ms, p99 ${paced.latency_p99_ms.toFixed(2)} ms`,
    );

    const round = (value: number, digits = 0) => Number(value.toFixed(digits));
    console.log(
      JSON.stringify({
        bench: 'kafka',
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
        ratio_vs_consume_only: round(worker.events_per_s / consumeOnly.events_per_s, 3),
        consume_only_kafkajs_events_per_s: round(consumeOnlyKafkajs.events_per_s),
        ratio_vs_consume_only_kafkajs: round(worker.events_per_s / consumeOnlyKafkajs.events_per_s, 3),
        kafka_client: '@platformatic/kafka',
        latency_rate_per_s: LATENCY_RATE,
        added_latency_p50_ms: round(paced.latency_p50_ms, 2),
        added_latency_p99_ms: round(paced.latency_p99_ms, 2),
        rss_mb: round(worker.rss_mb),
        worker_concurrency: WORKER_CONCURRENCY,
        node: process.version,
        cpus: cpus().length,
      }),
    );
  } finally {
    await deleteTopics([topic, latencyTopic, `${topic}.dlq`, `${latencyTopic}.dlq`]);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
