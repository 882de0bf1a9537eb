import { Admin } from '@platformatic/kafka';
import { CdcCacheError } from '../../errors';
import { loadKeyspace } from '../../keyspace';
import { keyspaceTables } from '../../observability/record-metrics';
import { createJsonMessageDecoder, keyspaceDecoderOptions } from '../../sources/debezium';
import {
  createKafkaConsumer,
  createKafkaProducer,
  type KafkaClientOptions,
  kafkaClientConfig,
} from '../../sources/kafka';
import { createRuntimeMetrics } from '../shared/create-runtime-metrics';
import { createWorkerEngine } from '../shared/create-worker-engine';
import { createWorkerRedis } from '../shared/create-worker-redis';
import { startHealthServer } from '../shared/health-server';
import { createKafkaWorker } from './create-kafka-worker';
import type { KafkaWorkerConfig } from './kafka-worker-config';
import { startWhenAvailable } from './start-when-available';
import { watchTopicPattern } from './watch-topic-pattern';
import type { WorkerLogger } from './worker-logger';
import { createWorkerMetrics } from './worker-metrics';

/** A worker started by {@link runKafkaWorker}. */
export interface RunningKafkaWorker {
  /** Stop consuming (finish in-flight chunks, commit, leave the group), then close Redis and the health server. */
  stop(): Promise<void>;
  /** Port of /healthz, /readyz and /metrics. */
  readonly httpPort: number;
}

/**
 * Build and start everything `cdc-cache worker kafka` runs from its configuration: keyspace, Redis, engine,
 * Kafka consumer and dead-letter producer, metrics and the health server.
 *
 * @example
 * const worker = await runKafkaWorker(config, { logger: pino() })
 * process.once('SIGTERM', () => worker.stop())
 */
export async function runKafkaWorker(
  config: KafkaWorkerConfig,
  { logger, onFatal }: { logger: WorkerLogger; onFatal?: (error: Error) => void },
): Promise<RunningKafkaWorker> {
  if ((config.topics === undefined) === (config.topicPattern === undefined)) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      'Invalid configuration: set exactly one of CDC_CACHE_KAFKA_TOPICS (--kafka-topics) and CDC_CACHE_KAFKA_TOPIC_PATTERN (--kafka-topic-pattern)',
    );
  }
  const keyspace = await loadKeyspace(config.keyspace);
  const workerRedis = await createWorkerRedis(config);
  const redis = workerRedis.port;
  const { registry, instrumentation } = createRuntimeMetrics();
  const metrics = createWorkerMetrics(registry, { sources: keyspaceTables(keyspace) });
  const engine = createWorkerEngine(config, { keyspace, redis, instrumentation, logger });
  const kafka = kafkaClientConfig({
    brokers: config.brokers,
    clientId: config.clientId,
    ssl: config.ssl,
    sslCaFile: config.sslCaFile,
    saslMechanism: config.saslMechanism,
    saslUsername: config.saslUsername,
    saslPassword: config.saslPassword,
    awsRegion: config.awsRegion,
  });
  const buildWorker = () =>
    createKafkaWorker({
      consumer: createKafkaConsumer({
        kafka,
        groupId: config.groupId,
        topics: config.topics,
        topicPattern: config.topicPattern,
        fromBeginning: config.fromBeginning,
        partitionsConsumedConcurrently: config.concurrency,
        sessionTimeoutMs: config.sessionTimeoutMs,
        log: (level, message, extra) => logger[level](extra, message),
      }),
      producer: createKafkaProducer({ kafka }),
      engine,
      // Only the columns the keyspace reads are decoded, with their declared types.
      decoder: createJsonMessageDecoder(keyspaceDecoderOptions(keyspace)),
      deadLetterTopic: config.deadLetterTopic,
      maxMessagesPerChunk: config.maxMessagesPerChunk,
      backoff: { maxDelayMs: config.retryMaxMs },
      metrics,
      logger,
      onFatal,
    });
  // Not ready until a consumer runs; every start attempt replaces the one /readyz asks.
  let attempt: ReturnType<typeof buildWorker> | undefined;
  const health = await startHealthServer({
    port: config.httpPort,
    isReady: () => attempt?.isReady() ?? false,
    registry,
  });
  let worker: ReturnType<typeof buildWorker>;
  try {
    worker = await startWhenAvailable(buildWorker, {
      logger,
      onAttempt: (next) => {
        attempt = next;
      },
    });
  } catch (error) {
    await health.close();
    await engine.close();
    await workerRedis.close();
    throw error;
  }
  logger.info(
    {
      groupId: config.groupId,
      topics: config.topics ?? config.topicPattern?.source,
      httpPort: health.port,
      redisClient: redis.kind,
    },
    'cdc-cache Kafka worker started',
  );
  await warnIfMissing(kafka, config.deadLetterTopic, logger);

  const admin = config.topicPattern && config.topicRefreshMs > 0 ? topicAdmin(kafka) : undefined;
  const watch =
    admin && config.topicPattern
      ? await watchTopicPattern({
          listTopics: () => admin.listTopics(),
          pattern: config.topicPattern!,
          intervalMs: config.topicRefreshMs,
          logger,
          // Re-subscribe: the old consumer commits and leaves, the new one joins with the new topics.
          onNewTopics: async (added) => {
            logger.info({ added }, 'new topics match the pattern: re-subscribing');
            await worker.stop();
            worker = buildWorker();
            attempt = worker;
            await worker.start();
          },
        })
      : undefined;
  return {
    httpPort: health.port,
    async stop() {
      await watch?.stop();
      await admin?.close().catch(() => undefined);
      await worker.stop();
      await engine.close();
      await workerRedis.close();
      await health.close();
    },
  };
}

// A missing dead-letter topic (with topic auto-creation off) would pause a partition at its first poison record.
async function warnIfMissing(kafka: KafkaClientOptions, topic: string, logger: WorkerLogger): Promise<void> {
  const admin = topicAdmin(kafka);
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      logger.warn(
        { deadLetterTopic: topic },
        'the dead-letter topic does not exist: create it (or allow auto-creation), or a poison record will pause its partition',
      );
    }
  } catch (error) {
    logger.warn({ err: error, deadLetterTopic: topic }, 'cannot check the dead-letter topic');
  } finally {
    await admin.close().catch(() => undefined);
  }
}

function topicAdmin(kafka: KafkaClientOptions): Admin {
  return new Admin({ ...kafka, clientId: `${kafka.clientId}-admin` });
}
