import { cacheTargetOptions, processOptions, retryOptions } from '../shared/common-options';
import { type ConfigValues, defineOption, parsers } from '../shared/config-schema';
import { kafkaConnectionOptions } from '../shared/kafka-options';
import { BATCH_HANDLER_DEFAULTS } from './create-batch-handler';

/**
 * Every option of `cdc-cache worker kafka`, as data: `--help` and the docs' configuration reference are
 * generated from it.
 *
 * @example
 * const resolved = resolveConfig(kafkaWorkerConfigSchema, { argv, env: process.env })
 */
export const kafkaWorkerConfigSchema = {
  ...cacheTargetOptions,
  brokers: kafkaConnectionOptions.brokers,
  topics: defineOption({
    env: 'CDC_CACHE_KAFKA_TOPICS',
    flag: 'kafka-topics',
    description: 'Debezium topics, comma-separated (or use the topic pattern)',
    parse: parsers.list,
  }),
  topicPattern: defineOption({
    env: 'CDC_CACHE_KAFKA_TOPIC_PATTERN',
    flag: 'kafka-topic-pattern',
    description:
      'Regex of the topics to consume, e.g. ^dbserver1\\.public\\..* (new matching topics are picked up)',
    parse: parsers.regex,
  }),
  topicRefreshMs: defineOption({
    env: 'CDC_CACHE_KAFKA_TOPIC_REFRESH_MS',
    flag: 'kafka-topic-refresh-ms',
    description:
      'With a topic pattern: how often to look for new matching topics and re-subscribe (0: never)',
    parse: parsers.integer({ min: 0, max: 86_400_000 }),
    default: 60_000,
  }),
  groupId: defineOption({
    env: 'CDC_CACHE_KAFKA_GROUP_ID',
    flag: 'kafka-group-id',
    description: 'Consumer group; workers of one group split the partitions',
    parse: parsers.string,
    default: 'cdc-cache',
  }),
  clientId: kafkaConnectionOptions.clientId,
  fromBeginning: defineOption({
    env: 'CDC_CACHE_KAFKA_FROM_BEGINNING',
    flag: 'kafka-from-beginning',
    description: 'Where a new group starts: the earliest offset (true, misses no change) or the latest',
    parse: parsers.boolean,
    default: true,
  }),
  ssl: kafkaConnectionOptions.ssl,
  sslCaFile: kafkaConnectionOptions.sslCaFile,
  saslMechanism: kafkaConnectionOptions.saslMechanism,
  saslUsername: kafkaConnectionOptions.saslUsername,
  saslPassword: kafkaConnectionOptions.saslPassword,
  awsRegion: kafkaConnectionOptions.awsRegion,
  deadLetterTopic: kafkaConnectionOptions.deadLetterTopic,
  concurrency: defineOption({
    env: 'CDC_CACHE_KAFKA_CONCURRENCY',
    flag: 'kafka-concurrency',
    description: 'Partitions processed at once by one worker',
    parse: parsers.integer({ min: 1, max: 256 }),
    default: 4,
  }),
  maxMessagesPerChunk: defineOption({
    env: 'CDC_CACHE_KAFKA_CHUNK_SIZE',
    flag: 'kafka-chunk-size',
    description: 'Most messages applied in one Redis pipeline; larger batches are split',
    parse: parsers.integer({ min: 1, max: 100_000 }),
    default: BATCH_HANDLER_DEFAULTS.maxMessagesPerChunk as number,
  }),
  sessionTimeoutMs: defineOption({
    env: 'CDC_CACHE_KAFKA_SESSION_TIMEOUT_MS',
    flag: 'kafka-session-timeout-ms',
    description: 'Group session timeout: a silent member loses its partitions after this long',
    parse: parsers.integer({ min: 6_000, max: 300_000 }),
    default: 30_000,
  }),
  ...retryOptions,
  ...processOptions,
};

/** The resolved configuration of `cdc-cache worker kafka`. */
export type KafkaWorkerConfig = ConfigValues<typeof kafkaWorkerConfigSchema>;
