import { SASL_MECHANISMS } from '../../sources/kafka/kafka-client-config';
import { cacheTargetOptions, processOptions } from '../shared/common-options';
import { type ConfigValues, defineOption, parsers } from '../shared/config-schema';

/**
 * Every option of `cdc-cache worker kafka`, as data: `--help` and the docs' configuration reference are
 * generated from it.
 *
 * @example
 * const resolved = resolveConfig(kafkaWorkerConfigSchema, { argv, env: process.env })
 */
export const kafkaWorkerConfigSchema = {
  ...cacheTargetOptions,
  brokers: defineOption({
    env: 'CDC_CACHE_KAFKA_BROKERS',
    flag: 'kafka-brokers',
    description: 'Kafka bootstrap brokers, comma-separated host:port',
    parse: parsers.list,
    required: true,
  }),
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
  clientId: defineOption({
    env: 'CDC_CACHE_KAFKA_CLIENT_ID',
    flag: 'kafka-client-id',
    description: 'Kafka client id (broker logs and quotas)',
    parse: parsers.string,
    default: 'cdc-cache-worker',
  }),
  fromBeginning: defineOption({
    env: 'CDC_CACHE_KAFKA_FROM_BEGINNING',
    flag: 'kafka-from-beginning',
    description: 'Where a new group starts: the earliest offset (true, misses no change) or the latest',
    parse: parsers.boolean,
    default: true,
  }),
  ssl: defineOption({
    env: 'CDC_CACHE_KAFKA_SSL',
    flag: 'kafka-ssl',
    description: 'TLS to the brokers (implied by aws-msk-iam)',
    parse: parsers.boolean,
    default: false,
    switch: true,
  }),
  sslCaFile: defineOption({
    env: 'CDC_CACHE_KAFKA_SSL_CA_FILE',
    flag: 'kafka-ssl-ca-file',
    description: "PEM file of the brokers' CA (default: the system's CAs)",
    parse: parsers.string,
  }),
  saslMechanism: defineOption({
    env: 'CDC_CACHE_KAFKA_SASL_MECHANISM',
    flag: 'kafka-sasl-mechanism',
    description: `SASL mechanism: ${SASL_MECHANISMS.join(', ')} (aws-msk-iam signs with the default AWS credential chain)`,
    parse: parsers.oneOf(SASL_MECHANISMS),
  }),
  saslUsername: defineOption({
    env: 'CDC_CACHE_KAFKA_SASL_USERNAME',
    flag: 'kafka-sasl-username',
    description: 'SASL username (plain, scram-*)',
    parse: parsers.string,
  }),
  saslPassword: defineOption({
    env: 'CDC_CACHE_KAFKA_SASL_PASSWORD',
    flag: 'kafka-sasl-password',
    description: 'SASL password (plain, scram-*)',
    parse: parsers.string,
    secret: true,
  }),
  awsRegion: defineOption({
    env: 'AWS_REGION',
    flag: 'aws-region',
    description: 'AWS region of the MSK cluster (aws-msk-iam)',
    parse: parsers.string,
  }),
  deadLetterTopic: defineOption({
    env: 'CDC_CACHE_DLQ_TOPIC',
    flag: 'dlq-topic',
    description: 'Dead-letter topic for records that cannot be decoded or planned',
    parse: parsers.string,
    default: 'cdc-cache.dlq',
  }),
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
    default: 2_000,
  }),
  sessionTimeoutMs: defineOption({
    env: 'CDC_CACHE_KAFKA_SESSION_TIMEOUT_MS',
    flag: 'kafka-session-timeout-ms',
    description: 'Group session timeout: a silent member loses its partitions after this long',
    parse: parsers.integer({ min: 6_000, max: 300_000 }),
    default: 30_000,
  }),
  retryMaxMs: defineOption({
    env: 'CDC_CACHE_RETRY_MAX_MS',
    flag: 'retry-max-ms',
    description: 'Longest wait between attempts while Redis is unreachable (bounded exponential backoff)',
    parse: parsers.integer({ min: 100, max: 600_000 }),
    default: 30_000,
  }),
  ...processOptions,
};

/** The resolved configuration of `cdc-cache worker kafka`. */
export type KafkaWorkerConfig = ConfigValues<typeof kafkaWorkerConfigSchema>;
