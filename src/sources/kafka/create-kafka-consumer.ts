import {
  Admin,
  Consumer,
  type Message,
  type MessagesStream,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
} from '@platformatic/kafka';
import { backoffDelay, sleep } from '../../core/retry';
import { CdcCacheError } from '../../errors';
import type { KafkaClientOptions } from './kafka-client-config';
import type {
  BatchControl,
  BatchHandler,
  ConsumedMessage,
  ConsumerStatus,
  KafkaConsumerPort,
  PartitionLag,
  TopicPartition,
} from './kafka-consumer-port';
import { createOffsetCommitter } from './offset-committer';
import { createPartitionLanes } from './partition-lanes';

/** Options of {@link createKafkaConsumer}. */
export interface KafkaConsumerOptions {
  /** Brokers, TLS, SASL and client id (see `kafkaClientConfig`). */
  readonly kafka: KafkaClientOptions;
  readonly groupId: string;
  /** Topics by name; or give `topicPattern`. */
  readonly topics?: readonly string[];
  /** Topics matching this regex when the consumer starts (see `watchTopicPattern` for topics created later). */
  readonly topicPattern?: RegExp;
  /** Where a new group starts: the earliest offset (default, so no change is skipped) or the latest. */
  readonly fromBeginning?: boolean;
  /** How many partitions are processed at once (default 4); each takes its next batch as soon as its own previous one is done. */
  readonly partitionsConsumedConcurrently?: number;
  /** Group session timeout (default 30000 ms; classic protocol only, the broker sets it for `consumer`). */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3000 ms; classic protocol only). */
  readonly heartbeatIntervalMs?: number;
  /** Most bytes fetched per partition per request (default 1 MiB; the client's own default is the whole 50 MiB). */
  readonly maxBytesPerPartition?: number;
  /** Most bytes per fetch response (default 50 MiB). */
  readonly maxBytes?: number;
  /** Most messages buffered ahead of the handler, in the client and again in the partitions' queues (default 10000). */
  readonly maxBufferedMessages?: number;
  /** `classic` (default) or `consumer`, the KIP-848 protocol with server-side assignment (Kafka ≥ 4.0). */
  readonly groupProtocol?: 'classic' | 'consumer';
  /** Told about group joins (with the assignment) and recoverable errors. */
  readonly log?: (level: 'info' | 'warn', message: string, extra: object) => void;
}

/** Defaults of {@link createKafkaConsumer}. */
export const KAFKA_CONSUMER_DEFAULTS = {
  fromBeginning: true,
  partitionsConsumedConcurrently: 4,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  maxBytesPerPartition: 1_048_576,
  maxBytes: 52_428_800,
  maxBufferedMessages: 10_000,
  groupProtocol: 'classic',
} as const;

// A stream that failed (broker away, coordinator moved) is opened again this many times, then it is fatal.
const MAX_STREAM_RESTARTS = 10;
// Waits between those attempts: 500 ms doubling to 30 s, ±20%.
const STREAM_RESTART_BACKOFF = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.2 };
// Resolved offsets are committed together at most this long after they were resolved (and at once on stop,
// resume or rebalance): a few commits a second instead of one per batch.
const COMMIT_INTERVAL_MS = 200;

type Raw = Message<Buffer | undefined, Buffer | undefined, string, Buffer>;

/**
 * The {@link KafkaConsumerPort} on `@platformatic/kafka`. The client streams one sequence of messages for
 * all assigned partitions and has no per-partition pause or seek, so this adapter keeps the port's promises
 * itself:
 * - each partition has its own queue, fed continuously from the stream: its next batch starts as soon as its
 *   own previous batch is done (one at a time per partition, so in order), whatever the other partitions do;
 *   reading stops while `maxBufferedMessages` wait in those queues, so the client stops fetching;
 * - offsets are committed (never automatically) only once the handler resolved them, and only for
 *   partitions the member still owns, coalesced into a few commits a second;
 * - a paused partition's messages are dropped unprocessed; resuming it opens a new stream, which reads
 *   every partition again from its committed offset. The committed offset is never past the first
 *   unresolved message, so nothing is skipped (some resolved messages may be applied again: idempotent);
 * - every group (re)join opens a new stream too, and batches read before it are stale: the client
 *   re-reads from committed offsets on a join, and a fetch in flight across it could otherwise splice
 *   two positions of one partition together.
 *
 * @example
 * const consumer = createKafkaConsumer({ kafka: kafkaClientConfig({ brokers: ['127.0.0.1:9092'], clientId: 'cdc-cache' }), groupId: 'cdc-cache', topics: ['dbserver1.public.users'] })
 * await consumer.run(handler)
 */
export function createKafkaConsumer(options: KafkaConsumerOptions): KafkaConsumerPort {
  const settings = { ...KAFKA_CONSUMER_DEFAULTS, ...definedOnly(options) };
  if ((options.topics?.length ?? 0) === 0 && options.topicPattern === undefined) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'topics or topicPattern: give the topics to consume');
  }
  for (const name of [
    'partitionsConsumedConcurrently',
    'maxBytesPerPartition',
    'maxBufferedMessages',
  ] as const) {
    if (!Number.isInteger(settings[name]) || settings[name] < 1) {
      throw new CdcCacheError('CDC_INVALID_OPTION', `${name}: expected an integer ≥ 1`);
    }
  }
  const group =
    settings.groupProtocol === 'consumer'
      ? { groupProtocol: 'consumer' as const }
      : {
          groupProtocol: 'classic' as const,
          sessionTimeout: settings.sessionTimeoutMs,
          heartbeatInterval: settings.heartbeatIntervalMs,
        };
  const consumer = new Consumer<Buffer | undefined, Buffer | undefined, string, Buffer>({
    ...options.kafka,
    groupId: options.groupId,
    autocommit: false,
    maxBytes: settings.maxBytes,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    highWaterMark: settings.maxBufferedMessages,
    deserializers: { headerKey: (data) => data?.toString() ?? '' },
    ...group,
  });
  const log = options.log ?? (() => undefined);

  let stream: MessagesStream<Buffer | undefined, Buffer | undefined, string, Buffer> | null = null;
  let epoch = 0;
  let running = false;
  let stopping = false;
  let pumpDone: Promise<void> = Promise.resolve();
  let restartRequested = false;
  let restarts = 0;
  let handler: BatchHandler = async () => undefined;
  /** The first error a handler threw: fatal, as the port promises nothing about a batch it could not handle. */
  let handlerError: unknown = null;
  const paused = new Set<string>();
  /** The offset after the last message resolved, per partition: where lag is counted from. */
  const positions = new Map<string, bigint>();
  let wake: (() => void) | null = null;
  const fatalListeners: ((error: Error) => void)[] = [];

  const notify = () => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };

  const assignment = (): Record<string, number[]> =>
    Object.fromEntries((consumer.assignments ?? []).map(({ topic, partitions }) => [topic, [...partitions]]));
  const owns = (topic: string, partition: number) =>
    (consumer.assignments ?? []).some(
      (entry) => entry.topic === topic && entry.partitions.includes(partition),
    );

  const committer = createOffsetCommitter({
    commit: (offsets) => consumer.commit({ offsets }),
    owns,
    intervalMs: COMMIT_INTERVAL_MS,
    failed: (error) => log('warn', 'cannot commit offsets; will retry with the next commit', { err: error }),
  });

  /** Hand one partition's queued messages to the handler (dropped if the partition was paused meanwhile). */
  const runBatch = async (key: string, raw: Raw[]) => {
    if (paused.has(key)) return;
    const { topic, partition } = raw[0]!;
    try {
      await handler({ topic, partition, messages: raw.map(consumed) }, control(topic, partition, epoch));
    } catch (error) {
      handlerError ??= error;
    }
  };

  const lanes = createPartitionLanes<Raw>({
    concurrency: settings.partitionsConsumedConcurrently,
    run: runBatch,
    settled() {
      // A restart or a stop waits for the running batches; it starts no new one.
      if (!restartRequested && !stopping && handlerError === null) lanes.dispatch();
      // The reader may have stopped for a full buffer, or be waiting for the batches to finish.
      notify();
    },
  });

  consumer.on('consumer:group:join', (payload) => {
    log('info', 'consumer joined the group', {
      groupId: payload.groupId,
      memberId: payload.memberId,
      generationId: payload.generationId,
      memberAssignment: assignment(),
    });
    if (stream === null) return;
    // Batches read before this join are stale; the next stream starts from the committed offsets.
    epoch++;
    committer.forgetUnowned();
    // Another member may have moved a partition on while we did not own it: count its lag from the group's commit.
    positions.clear();
    restartRequested = true;
    notify();
  });

  const topics = async (): Promise<string[]> => {
    if (!options.topicPattern) return [...(options.topics ?? [])];
    const admin = new Admin({ ...options.kafka, clientId: `${options.kafka.clientId}-topics` });
    try {
      const pattern = options.topicPattern;
      const matching = (await admin.listTopics()).filter((topic) => pattern.test(topic));
      if (matching.length === 0) {
        throw new CdcCacheError('CDC_SOURCE_UNAVAILABLE', `no topic matches ${pattern} yet`, {
          retriable: true,
        });
      }
      return matching;
    } finally {
      await admin.close().catch(() => undefined);
    }
  };

  const open = async (names: string[]) => {
    const next = await consumer.consume({
      topics: names,
      mode: MessagesStreamModes.COMMITTED,
      fallbackMode: settings.fromBeginning
        ? MessagesStreamFallbackModes.EARLIEST
        : MessagesStreamFallbackModes.LATEST,
      autocommit: false,
    });
    // A 'readable' listener puts the stream in paused mode: it fetches ahead up to its high-water mark.
    next.on('readable', () => {
      if (!allPaused()) notify();
    });
    next.on('error', (error) => {
      if (stopping || next !== stream) return;
      log('warn', 'Kafka stream failed; opening a new one', { err: error });
      restartRequested = true;
      notify();
    });
    next.on('close', notify);
    return next;
  };

  /**
   * Messages are read only while some partition is not paused (else nothing would read them until a resume)
   * and fewer than `maxBufferedMessages` wait in the partitions' queues (else the client keeps fetching).
   */
  const mayRead = () => lanes.buffered < settings.maxBufferedMessages && !allPaused();

  /** Wait for a message to read, a finished batch, a restart or a stop. */
  const waitForWork = (current: MessagesStream<Buffer | undefined, Buffer | undefined, string, Buffer>) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (restartRequested || stopping || handlerError !== null || current.destroyed) notify();
      else if (current.readableLength > 0 && mayRead()) notify();
    });

  const control = (topic: string, partition: number, batchEpoch: number): BatchControl => {
    const key = `${topic}:${partition}`;
    const stale = () => batchEpoch !== epoch || paused.has(key) || !owns(topic, partition);
    return {
      resolveOffset(offset) {
        if (stale()) return;
        const next = BigInt(offset) + 1n;
        committer.resolved(topic, partition, next);
        if ((positions.get(key) ?? -1n) < next) positions.set(key, next);
      },
      // The client heartbeats on its own timer.
      heartbeat: async () => undefined,
      isRunning: () => !stopping,
      isStale: stale,
      pause() {
        paused.add(key);
        return () => port.resume([{ topic, partition }]);
      },
    };
  };

  /** Move the stream's messages to their partitions' queues, while there is room; a paused partition's are dropped. */
  const readInto = (current: MessagesStream<Buffer | undefined, Buffer | undefined, string, Buffer>) => {
    // A fetch hands out runs of one partition: its key is built once per run, not once per message.
    let runTopic = '';
    let runPartition = -1;
    let runKey = '';
    // No handler runs during this loop, so no partition is paused or resumed in it.
    while (lanes.buffered < settings.maxBufferedMessages) {
      const message = current.read() as Raw | null;
      if (message === null) return;
      if (message.partition !== runPartition || message.topic !== runTopic) {
        runTopic = message.topic;
        runPartition = message.partition;
        runKey = `${runTopic}:${runPartition}`;
      }
      if (!paused.has(runKey)) lanes.push(runKey, message);
    }
  };

  const pump = async (names: string[]) => {
    while (!stopping && handlerError === null) {
      const current = stream!;
      if (restartRequested || current.destroyed) {
        await restart(names);
        continue;
      }
      if (mayRead()) readInto(current);
      lanes.dispatch();
      await waitForWork(current);
    }
    // Stopping: the running batches finish (their handlers see `isRunning()` false); queued messages are dropped.
    await lanes.drain();
    lanes.clear();
    if (handlerError !== null) throw handlerError;
  };

  const allPaused = () => {
    if (paused.size === 0) return false;
    const owned = consumer.assignments ?? [];
    return (
      owned.length > 0 &&
      owned.every(({ topic, partitions }) => partitions.every((p) => paused.has(`${topic}:${p}`)))
    );
  };

  /**
   * Let the running batches finish, commit what was resolved, then read every partition again from its
   * committed offset with a new stream (the messages still queued are dropped: the new stream reads them again).
   */
  const restart = async (names: string[]) => {
    await lanes.drain();
    restartRequested = false;
    epoch++;
    lanes.clear();
    await committer.flush();
    const old = stream;
    for (;;) {
      try {
        // The new stream is opened before the old one is closed: the consumer keeps its topics, so it does
        // not rejoin the group.
        stream = await open(names);
        restarts = 0;
        break;
      } catch (error) {
        if (stopping) return;
        if (++restarts > MAX_STREAM_RESTARTS) {
          for (const listener of fatalListeners) listener(error as Error);
          stopping = true;
          return;
        }
        log('warn', 'cannot open a Kafka stream; retrying', { err: error, attempt: restarts });
        await sleep(backoffDelay(restarts, STREAM_RESTART_BACKOFF));
      }
    }
    await old?.close().catch(() => undefined);
  };

  const port: KafkaConsumerPort = {
    async run(batchHandler: BatchHandler) {
      handler = batchHandler;
      const names = await topics();
      stream = await open(names);
      running = true;
      pumpDone = pump(names).catch((error: unknown) => {
        if (stopping) return;
        for (const listener of fatalListeners) listener(error as Error);
      });
    },
    async stop() {
      stopping = true;
      notify();
      if (running) await pumpDone;
      await committer.flush();
      await stream?.close().catch(() => undefined);
      stream = null;
      running = false;
      // Leaves the group and closes the connections.
      await consumer.close(true);
    },
    pause(partitions: readonly TopicPartition[]) {
      for (const { topic, partition } of partitions) paused.add(`${topic}:${partition}`);
    },
    resume(partitions: readonly TopicPartition[]) {
      for (const { topic, partition } of partitions) {
        if (paused.delete(`${topic}:${partition}`)) restartRequested = true;
      }
      notify();
    },
    // A paused partition resumes from its committed offset, which is never past the first unresolved message:
    // the worker only seeks to the first message of the chunk it could not apply.
    seek() {},
    status(): ConsumerStatus {
      return {
        connected: consumer.isConnected(),
        joined: consumer.isActive() && stream !== null,
        assignment: assignment(),
      };
    },
    onFatal(listener) {
      fatalListeners.push(listener);
    },
    async lag(): Promise<PartitionLag[]> {
      const owned = consumer.assignments ?? [];
      if (!running || stopping || owned.length === 0) return [];
      // One topic at a time: a topic deleted while assigned (a dropped table) must not hide the others.
      const lags = await Promise.allSettled(
        owned.map(async ({ topic, partitions }) => {
          const [latest, committed] = await Promise.all([
            consumer.listOffsets({ topics: [topic], partitions: { [topic]: [...partitions] } }),
            consumer.listCommittedOffsets({ topics: [{ topic, partitions: [...partitions] }] }),
          ]);
          return partitions.map((partition): PartitionLag => {
            const end = latest.get(topic)?.[partition] ?? 0n;
            // A group that committed nothing yet (-1) starts at the earliest offset: count from 0.
            const start = positions.get(`${topic}:${partition}`) ?? committed.get(topic)?.[partition] ?? 0n;
            const lag = end - (start < 0n ? 0n : start);
            return { topic, partition, lag: Number(lag < 0n ? 0n : lag) };
          });
        }),
      );
      return lags.flatMap((result) => (result.status === 'fulfilled' ? result.value : []));
    },
  };
  return port;
}

function consumed(message: Raw): ConsumedMessage {
  const offset = message.offset.toString();
  const key = message.key ?? null;
  const value = message.value ?? null;
  const timestamp = message.timestamp.toString();
  const entries = message.headerEntries;
  // Most records carry no header: no object to spread, no iterator (this runs once per record).
  if (entries.length === 0) return { offset, key, value, timestamp };
  const headers: Record<string, Buffer | Buffer[]> = {};
  for (let at = 0; at < entries.length; at++) {
    const [name, header] = entries[at]!;
    const existing = headers[name];
    if (existing === undefined) headers[name] = header;
    else headers[name] = Array.isArray(existing) ? [...existing, header] : [existing, header];
  }
  return { offset, key, value, timestamp, headers };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
