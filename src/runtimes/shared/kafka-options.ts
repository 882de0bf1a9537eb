import { SASL_MECHANISMS } from '../../sources/kafka/kafka-client-config';
import { awsOptions } from './common-options';
import { defineOption, parsers } from './config-schema';

/** The dead-letter topic of poison Debezium records, unless configured otherwise. */
export const DEFAULT_DEAD_LETTER_TOPIC = 'cdc-cache.dlq';

/**
 * How a runtime reaches Kafka (brokers, TLS, SASL) and where it dead-letters: shared by `worker kafka`,
 * `audit kafka` and the Kafka Lambda's dead-letter producer. Kept apart from the worker's schema so the
 * Lambda bundle can read them without the Kafka client.
 *
 * @example
 * export const mySchema = { ...kafkaConnectionOptions, topics: defineOption({ ... }) }
 */
export const kafkaConnectionOptions = {
  brokers: defineOption({
    env: 'CDC_CACHE_KAFKA_BROKERS',
    flag: 'kafka-brokers',
    description: 'Kafka bootstrap brokers, comma-separated host:port',
    parse: parsers.list,
    required: true,
  }),
  clientId: defineOption({
    env: 'CDC_CACHE_KAFKA_CLIENT_ID',
    flag: 'kafka-client-id',
    description: 'Kafka client id (broker logs and quotas)',
    parse: parsers.string,
    default: 'cdc-cache-worker',
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
  awsRegion: awsOptions.awsRegion,
  deadLetterTopic: defineOption({
    env: 'CDC_CACHE_DLQ_TOPIC',
    flag: 'dlq-topic',
    description: 'Dead-letter topic for records that cannot be decoded or planned',
    parse: parsers.string,
    default: DEFAULT_DEAD_LETTER_TOPIC,
  }),
};
