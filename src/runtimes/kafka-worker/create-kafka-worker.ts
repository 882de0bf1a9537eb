import type { InvalidationEngine } from '../../core/ports';
import { createBackoff, DEFAULT_RUNTIME_BACKOFF, type RetryOptions } from '../../core/retry';
import { jsonMessageDecoder, type MessageDecoder } from '../../sources/debezium';
import type { KafkaConsumerPort, KafkaProducerPort, TopicPartition } from '../../sources/kafka';
import { DEFAULT_DEAD_LETTER_TOPIC } from '../shared/kafka-options';
import { type BatchHandlerOptions, createBatchHandler } from './create-batch-handler';
import type { WorkerLogger } from './worker-logger';
import type { WorkerMetrics } from './worker-metrics';

/** Options of {@link createKafkaWorker}. */
export interface KafkaWorkerOptions {
  readonly consumer: KafkaConsumerPort;
  /** Writes dead letters. */
  readonly producer: KafkaProducerPort;
  readonly engine: InvalidationEngine;
  /** Default: Debezium's JSON converter. */
  readonly decoder?: MessageDecoder;
  /** Default {@link DEFAULT_DEAD_LETTER_TOPIC} (`cdc-cache.dlq`). */
  readonly deadLetterTopic?: string;
  /** Waits between attempts while Redis is unreachable. Default {@link KAFKA_WORKER_DEFAULTS}`.backoff`. */
  readonly backoff?: Partial<Pick<RetryOptions, 'initialDelayMs' | 'maxDelayMs' | 'jitter'>>;
  readonly maxMessagesPerChunk?: number;
  readonly metrics?: WorkerMetrics;
  readonly logger?: WorkerLogger;
  /** Told when the Kafka client failed for good; the process should exit and be restarted. */
  readonly onFatal?: (error: Error) => void;
  readonly onChunkApplied?: BatchHandlerOptions['onChunkApplied'];
}

/** Defaults of {@link KafkaWorkerOptions}. */
export const KAFKA_WORKER_DEFAULTS = {
  deadLetterTopic: DEFAULT_DEAD_LETTER_TOPIC,
  /** 500 ms doubling to 30 s, ±20%. */
  backoff: DEFAULT_RUNTIME_BACKOFF,
} as const;

/** A running Kafka worker. */
export interface KafkaWorker {
  /** Join the group and consume until {@link stop}. Resolves once consumption started. */
  start(): Promise<void>;
  /** Finish in-flight chunks, commit, leave the group, disconnect the producer. The engine is left open. */
  stop(): Promise<void>;
  /** Connected and joined the group. */
  isReady(): boolean;
}

/**
 * The Kafka worker: consume Debezium topics in a group, invalidate through the engine, commit only what
 * Redis acknowledged, dead-letter poison records, and pause with bounded exponential backoff while Redis is
 * unreachable (nothing is resolved meanwhile, so nothing is lost).
 *
 * @example
 * const worker = createKafkaWorker({ consumer, producer, engine, logger })
 * await worker.start()
 * process.once('SIGTERM', () => worker.stop())
 */
export function createKafkaWorker(options: KafkaWorkerOptions): KafkaWorker {
  const { consumer, logger, metrics } = options;
  const backoff = createBackoff({ ...KAFKA_WORKER_DEFAULTS.backoff, ...options.backoff });
  /** True from a Redis fault until a batch applies again. */
  let redisFaulted = false;
  const paused = new Map<string, { partition: TopicPartition; offset: string; resume: () => void }>();
  let retryTimer: NodeJS.Timeout | null = null;
  let stopping = false;

  const resumeAll = () => {
    retryTimer = null;
    if (stopping) return;
    logger?.info({ partitions: paused.size }, 'retrying the paused partitions');
    for (const { partition, offset, resume } of paused.values()) {
      consumer.seek({ ...partition, offset });
      resume();
    }
    paused.clear();
  };

  const handler = createBatchHandler({
    decoder: options.decoder ?? jsonMessageDecoder,
    engine: options.engine,
    producer: options.producer,
    deadLetterTopic: options.deadLetterTopic ?? KAFKA_WORKER_DEFAULTS.deadLetterTopic,
    maxMessagesPerChunk: options.maxMessagesPerChunk,
    metrics,
    logger,
    onChunkApplied: options.onChunkApplied,
    outage: {
      unavailable(partition, offset, resume, error) {
        redisFaulted = true;
        paused.set(`${partition.topic}:${partition.partition}`, { partition, offset, resume });
        metrics?.retry('redis');
        metrics?.setRedisUnavailable(true);
        if (retryTimer !== null || stopping) return;
        const delayMs = backoff.next();
        logger?.warn(
          { err: error, partition, offset, attempt: backoff.attempts, delayMs },
          'cannot apply: partition paused, retrying after a backoff',
        );
        retryTimer = setTimeout(resumeAll, delayMs);
      },
      healthy() {
        if (backoff.attempts === 0 || paused.size > 0 || retryTimer !== null) return;
        logger?.info({ attempts: backoff.attempts }, 'applying again');
        redisFaulted = false;
        backoff.reset();
        metrics?.setRedisUnavailable(false);
      },
    },
  });

  consumer.onFatal((error) => {
    logger?.error({ err: error }, 'Kafka consumer failed for good');
    options.onFatal?.(error);
  });

  return {
    async start() {
      await consumer.run(handler);
      metrics?.watchLag(() => consumer.lag());
      logger?.info({}, 'consuming');
    },
    async stop() {
      stopping = true;
      metrics?.watchLag(undefined);
      if (retryTimer !== null) clearTimeout(retryTimer);
      retryTimer = null;
      await consumer.stop();
      await options.producer.close();
    },
    isReady() {
      const status = consumer.status();
      // Not ready while Redis refuses the batches (outage, OOM, auth, ACL): the fault is reported, not hidden.
      return !stopping && !redisFaulted && status.connected && status.joined;
    },
  };
}
