/**
 * `cdc-cache/lambda`: ready Lambda handlers configured from the environment, and the factories behind them.
 *
 * - `handler`: DynamoDB Streams (enable ReportBatchItemFailures on the event source mapping).
 * - `kafkaHandler`: MSK and self-managed Kafka events carrying Debezium messages.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent, MSKEvent } from 'aws-lambda';
import { createKafkaHandler, type KafkaDeadLetterSink, type KafkaHandler } from './create-kafka-handler';
import { createStreamHandler, type StreamHandler } from './create-stream-handler';
import type {
  ClosableKafkaDeadLetterSink,
  KafkaDeadLetterProducerOptions,
} from './kafka-dead-letter-producer';
import { type LambdaConfig, readLambdaConfig, readLambdaKafkaSettings } from './lambda-config';
import { createLambdaEnvironment, createLambdaLogger, type LambdaEnvironment } from './lambda-environment';

// For custom wiring: the engine, so `cdc-cache/lambda` alone is enough to build a handler.
export { createInvalidationEngine, type InvalidationEngineOptions } from '../core/create-invalidation-engine';
export {
  createKafkaHandler,
  type KafkaDeadLetter,
  type KafkaDeadLetterSink,
  type KafkaHandler,
  type KafkaHandlerOptions,
  logDeadLetters,
  toDebeziumRecord,
} from './create-kafka-handler';
export {
  createStreamHandler,
  type StreamHandler,
  type StreamHandlerDependencies,
  type StreamHandlerOptions,
} from './create-stream-handler';
export { createEmfMetrics, EMF_DEFAULTS, type EmfMetrics, type EmfMetricsOptions } from './emf-metrics';
export type {
  ClosableKafkaDeadLetterSink,
  KafkaDeadLetterProducerOptions,
} from './kafka-dead-letter-producer';

/**
 * A Kafka dead-letter sink producing to a topic; the Kafka client is loaded on this call only (in the
 * bundle it is a separate file), so handlers that never dead-letter to Kafka never load it.
 *
 * @example
 * const deadLetter = await loadKafkaDeadLetterProducer({ topic: 'cdc-cache.dlq', brokers: ['b-1.msk:9098'] })
 * export const kafkaHandler = createKafkaHandler({ engine, deadLetter })
 */
export async function loadKafkaDeadLetterProducer(
  options: KafkaDeadLetterProducerOptions,
): Promise<ClosableKafkaDeadLetterSink> {
  const { createKafkaDeadLetterProducer } = await import('./kafka-dead-letter-producer.js');
  // Without explicit connection settings, those of the environment (CDC_CACHE_KAFKA_SSL, _SASL_*, ...).
  return createKafkaDeadLetterProducer({
    ...options,
    connection: options.connection ?? readLambdaKafkaSettings(),
  });
}

export {
  type LambdaConfig,
  type LambdaKafkaSettings,
  lambdaConfigSchema,
  readLambdaConfig,
  readLambdaKafkaSettings,
} from './lambda-config';
export { createLambdaEnvironment, createLambdaLogger, type LambdaEnvironment } from './lambda-environment';
export type { LambdaLogger } from './lambda-logger';

// Built on the first invocation and kept for the container's life: one Redis client, reused by every call.
let lambdaConfig: LambdaConfig | undefined;
let environment: Promise<LambdaEnvironment> | undefined;
let streamHandler: StreamHandler | undefined;
let kafkaEventHandler: KafkaHandler | undefined;

/** The environment does not change within a container: read and validated once. */
function config(): LambdaConfig {
  lambdaConfig ??= readLambdaConfig();
  return lambdaConfig;
}

function sharedEnvironment(): Promise<LambdaEnvironment> {
  environment ??= Promise.resolve()
    .then(() => createLambdaEnvironment(config(), undefined, logger()))
    .catch((error: unknown) => {
      environment = undefined;
      throw error;
    });
  return environment;
}

function logger() {
  return createLambdaLogger(config().logLevel);
}

/**
 * The DynamoDB Streams handler, configured from `CDC_CACHE_*` variables (see docs/dynamodb.md).
 *
 * @example
 * // Lambda handler setting: index.handler; event source mapping with FunctionResponseTypes: [ReportBatchItemFailures]
 */
export async function handler(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  streamHandler ??= createStreamHandler({
    dependencies: async () => sharedEnvironment(),
    tableName: config().tableName,
    versionAttribute: config().versionAttribute,
    logger: logger(),
  });
  return streamHandler(event);
}

/**
 * The MSK / self-managed Kafka handler for Debezium topics, configured from `CDC_CACHE_*` variables.
 * Poison records go to `CDC_CACHE_DLQ_TOPIC` when `CDC_CACHE_KAFKA_BROKERS` is set, else to the log.
 *
 * @example
 * // Lambda handler setting: index.kafkaHandler; event source: an MSK or self-managed Kafka cluster
 */
export async function kafkaHandler(event: MSKEvent): Promise<void> {
  if (!kafkaEventHandler) {
    const log = logger();
    const { dlqTopic, kafkaBrokers, kafka } = config();
    let deadLetter: KafkaDeadLetterSink | undefined;
    if (dlqTopic && kafkaBrokers.length > 0) {
      // Loaded only when a DLQ topic is configured: the Kafka client is a separate file of the bundle.
      deadLetter = await loadKafkaDeadLetterProducer({
        topic: dlqTopic,
        brokers: kafkaBrokers,
        connection: kafka,
        logger: log,
      });
    }
    kafkaEventHandler = createKafkaHandler({
      engine: async () => (await sharedEnvironment()).engine,
      keyspace: async () => (await sharedEnvironment()).keyspace,
      logger: log,
      ...(deadLetter ? { deadLetter } : {}),
    });
  }
  return kafkaEventHandler(event);
}
