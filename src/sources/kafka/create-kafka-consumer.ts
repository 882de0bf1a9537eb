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
  /** How many partitions are processed at once (default 4). */
  readonly partitionsConsumedConcurrently?: number;
  /** Group session timeout (default 30000 ms; classic protocol only, the broker sets it for `consumer`). */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3000 ms; classic protocol only). */
  readonly heartbeatIntervalMs?: number;
  /** Most bytes fetched per partition per request (default 1 MiB; the client's own default is the whole 50 MiB). */
  readonly maxBytesPerPartition?: number;
  /** Most bytes per fetch response (default 50 MiB). */
  readonly maxBytes?: number;
  /** Most messages buffered ahead of the handler (default 10000). */
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

type Raw = Message<Buffer | undefined, Buffer | undefined, string, Buffer>;
type Pending = { topic: string; partition: number; offset: bigint; leaderEpoch: number };

/**
 * The {@link KafkaConsumerPort} on `@platformatic/kafka`. The client streams one sequence of messages for
 * all assigned partitions and has no per-partition pause or seek, so this adapter keeps the port's promises
 * itself:
 * - offsets are committed (never automatically) only once the handler resolved them, and only for
 *   partitions the member still owns;
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
  const paused = new Set<string>();
  const pending = new Map<string, Pending>();
  /** The offset after the last message resolved, per partition: where lag is counted from. */
  const positions = new Map<string, bigint>();
  let commits: Promise<void> = Promise.resolve();
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
    for (const [key, entry] of pending) if (!owns(entry.topic, entry.partition)) pending.delete(key);
    // Another member may have moved a partition on while we did not own it: count its lag from the group's commit.
    positions.clear();
    restartRequested = true;
    notify();
  });

  /** Commit what was resolved, one commit at a time; a failed commit is kept and retried with the next. */
  const flushCommits = (): Promise<void> => {
    commits = commits.then(async () => {
      const offsets = [...pending.values()].filter((entry) => owns(entry.topic, entry.partition));
      pending.clear();
      if (offsets.length === 0) return;
      try {
        await consumer.commit({ offsets });
      } catch (error) {
        for (const entry of offsets) {
          const key = `${entry.topic}:${entry.partition}`;
          if (!pending.has(key)) pending.set(key, entry);
        }
        log('warn', 'cannot commit offsets; will retry with the next commit', { err: error });
      }
    });
    return commits;
  };

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

  /** Wait for a message (unless `forMessages` is false: every partition is paused), a restart or a stop. */
  const waitForWork = (
    current: MessagesStream<Buffer | undefined, Buffer | undefined, string, Buffer>,
    forMessages = true,
  ) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      if (restartRequested || stopping || current.destroyed) notify();
      else if (forMessages && current.readableLength > 0) notify();
    });

  const control = (topic: string, partition: number, batchEpoch: number): BatchControl => {
    const key = `${topic}:${partition}`;
    const stale = () => batchEpoch !== epoch || paused.has(key) || !owns(topic, partition);
    return {
      resolveOffset(offset) {
        if (stale()) return;
        const next = BigInt(offset) + 1n;
        const current = pending.get(key);
        if (!current || current.offset < next)
          pending.set(key, { topic, partition, offset: next, leaderEpoch: -1 });
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

  const pump = async (names: string[], handler: BatchHandler) => {
    while (!stopping) {
      const current = stream!;
      if (restartRequested || current.destroyed) {
        await restart(names);
        continue;
      }
      if (allPaused()) {
        // Buffered messages must not wake this wait: nothing reads them until a partition resumes.
        await waitForWork(current, false);
        continue;
      }
      const batches = new Map<string, Raw[]>();
      // A fetch hands out runs of one partition: its list is found once per run, not once per message.
      let last: Raw[] | undefined;
      for (let message = current.read() as Raw | null; message !== null; message = current.read()) {
        const previous = last?.[0];
        if (previous && previous.partition === message.partition && previous.topic === message.topic) {
          last!.push(message);
          continue;
        }
        const key = `${message.topic}:${message.partition}`;
        if (paused.has(key)) {
          last = undefined;
          continue;
        }
        last = batches.get(key);
        if (last) last.push(message);
        else {
          last = [message];
          batches.set(key, last);
        }
      }
      if (batches.size === 0) {
        await waitForWork(current);
        continue;
      }
      const batchEpoch = epoch;
      const work = [...batches.values()];
      const next = async (): Promise<void> => {
        for (let raw = work.shift(); raw; raw = work.shift()) {
          const { topic, partition } = raw[0]!;
          await handler(
            { topic, partition, messages: raw.map(consumed) },
            control(topic, partition, batchEpoch),
          );
        }
      };
      await Promise.all(
        Array.from({ length: Math.min(settings.partitionsConsumedConcurrently, work.length) }, next),
      );
      void flushCommits();
    }
  };

  const allPaused = () => {
    const owned = consumer.assignments ?? [];
    return (
      owned.length > 0 &&
      owned.every(({ topic, partitions }) => partitions.every((p) => paused.has(`${topic}:${p}`)))
    );
  };

  /** Commit what was resolved, then read every partition again from its committed offset with a new stream. */
  const restart = async (names: string[]) => {
    restartRequested = false;
    epoch++;
    await flushCommits();
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
    async run(handler: BatchHandler) {
      const names = await topics();
      stream = await open(names);
      running = true;
      pumpDone = pump(names, handler).catch((error: unknown) => {
        if (stopping) return;
        for (const listener of fatalListeners) listener(error as Error);
      });
    },
    async stop() {
      stopping = true;
      notify();
      if (running) await pumpDone;
      await flushCommits();
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
