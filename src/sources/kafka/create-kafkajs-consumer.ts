import { type Consumer, type ConsumerConfig, Kafka, type KafkaConfig } from 'kafkajs';
import { CdcCacheError } from '../../errors';
import type {
  BatchHandler,
  ConsumedMessage,
  ConsumerStatus,
  KafkaConsumerPort,
  TopicPartition,
} from './kafka-consumer-port';

/** Options of {@link createKafkajsConsumer}. */
export interface KafkajsConsumerOptions {
  /** An existing kafkajs client (left as is), or the configuration to build one. */
  readonly kafka: Kafka | KafkaConfig;
  readonly groupId: string;
  /** Topics by name; or give `topicPattern`. */
  readonly topics?: readonly string[];
  /** Topics matching this regex at start-up (kafkajs matches a pattern once, when it subscribes). */
  readonly topicPattern?: RegExp;
  /** Where a new group starts: the earliest offset (default, so no change is skipped) or the latest. */
  readonly fromBeginning?: boolean;
  /** How many partitions are processed at once (default 4). */
  readonly partitionsConsumedConcurrently?: number;
  /** Group session timeout (default 30000 ms). */
  readonly sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3000 ms). */
  readonly heartbeatIntervalMs?: number;
  /** Most bytes fetched per partition per request (default 1 MiB). */
  readonly maxBytesPerPartition?: number;
  /** Extra kafkajs consumer settings. */
  readonly consumerConfig?: Partial<ConsumerConfig>;
}

/** Defaults of {@link createKafkajsConsumer}. */
export const KAFKAJS_CONSUMER_DEFAULTS = {
  fromBeginning: true,
  partitionsConsumedConcurrently: 4,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000,
  maxBytesPerPartition: 1_048_576,
} as const;

/**
 * The {@link KafkaConsumerPort} on kafkajs: `eachBatch` without auto-resolve, offsets committed after each
 * batch for what the handler resolved, only for partitions still owned.
 *
 * @example
 * const consumer = createKafkajsConsumer({ kafka: { brokers: ['127.0.0.1:9092'] }, groupId: 'cdc-cache', topics: ['dbserver1.public.users'] })
 * await consumer.run(handler)
 */
export function createKafkajsConsumer(options: KafkajsConsumerOptions): KafkaConsumerPort {
  const settings = { ...KAFKAJS_CONSUMER_DEFAULTS, ...definedOnly(options) };
  if ((options.topics?.length ?? 0) === 0 && options.topicPattern === undefined) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'topics or topicPattern: give the topics to consume');
  }
  if (
    !Number.isInteger(settings.partitionsConsumedConcurrently) ||
    settings.partitionsConsumedConcurrently < 1
  ) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'partitionsConsumedConcurrently: expected an integer ≥ 1');
  }
  const kafka = options.kafka instanceof Kafka ? options.kafka : new Kafka(options.kafka);
  const consumer: Consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: settings.sessionTimeoutMs,
    heartbeatInterval: settings.heartbeatIntervalMs,
    maxBytesPerPartition: settings.maxBytesPerPartition,
    ...options.consumerConfig,
  });
  let connected = false;
  let joined = false;
  let assignment: Record<string, number[]> = {};
  const fatalListeners: ((error: Error) => void)[] = [];

  consumer.on(consumer.events.CONNECT, () => {
    connected = true;
  });
  consumer.on(consumer.events.DISCONNECT, () => {
    connected = false;
    joined = false;
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    joined = true;
    assignment = { ...event.payload.memberAssignment };
  });
  consumer.on(consumer.events.REBALANCING, () => {
    joined = false;
  });
  consumer.on(consumer.events.CRASH, (event) => {
    joined = false;
    // kafkajs restarts by itself after a retriable crash; only a final one is reported.
    if (!event.payload.restart) {
      for (const listener of fatalListeners) listener(event.payload.error);
    }
  });

  return {
    async run(handler: BatchHandler) {
      await consumer.connect();
      connected = true;
      await consumer.subscribe({
        topics: options.topicPattern ? [options.topicPattern] : [...(options.topics ?? [])],
        fromBeginning: settings.fromBeginning,
      });
      await consumer.run({
        autoCommit: true,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: settings.partitionsConsumedConcurrently,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale, pause }) => {
          await handler(
            {
              topic: batch.topic,
              partition: batch.partition,
              highWatermark: batch.highWatermark,
              messages: batch.messages as unknown as readonly ConsumedMessage[],
            },
            { resolveOffset, heartbeat, isRunning, isStale, pause },
          );
        },
      });
    },
    async stop() {
      // disconnect() stops the runner (waiting for in-flight batches, which commits their resolved offsets),
      // leaves the group and closes the connections.
      await consumer.disconnect();
      connected = false;
      joined = false;
    },
    pause(partitions: readonly TopicPartition[]) {
      consumer.pause(byTopic(partitions));
    },
    resume(partitions: readonly TopicPartition[]) {
      consumer.resume(byTopic(partitions));
    },
    seek({ topic, partition, offset }) {
      if (assignment[topic]?.includes(partition)) consumer.seek({ topic, partition, offset });
    },
    status(): ConsumerStatus {
      return { connected, joined, assignment };
    },
    onFatal(listener) {
      fatalListeners.push(listener);
    },
  };
}

function byTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const grouped = new Map<string, number[]>();
  for (const { topic, partition } of partitions) {
    grouped.set(topic, [...(grouped.get(topic) ?? []), partition]);
  }
  return [...grouped].map(([topic, list]) => ({ topic, partitions: list }));
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
