import type { ReplicaAckSetting } from '../core/replica-ack';
import {
  cacheTargetOptions,
  dynamodbRecordOptions,
  processOptions,
  type RedisAuthMode,
  type RedisClientLibrary,
} from '../runtimes/shared/common-options';
import {
  type ConfigSchema,
  type ConfigValues,
  defineOption,
  optionalIn,
  parsers,
  requiredIn,
  resolveConfig,
  withDefault,
} from '../runtimes/shared/config-schema';
import { kafkaConnectionOptions } from '../runtimes/shared/kafka-options';
import type { SaslMechanism } from '../sources/kafka/kafka-client-config';
import { LAMBDA_KAFKA_CLIENT_ID } from './lambda-defaults';

/** The Kafka handler's dead-letter producer: it produces only when both topic and brokers are set, else logs. */
const lambdaKafkaOptions = {
  deadLetterTopic: optionalIn(kafkaConnectionOptions.deadLetterTopic),
  brokers: optionalIn(kafkaConnectionOptions.brokers),
  clientId: withDefault(kafkaConnectionOptions.clientId, LAMBDA_KAFKA_CLIENT_ID),
  ssl: kafkaConnectionOptions.ssl,
  saslMechanism: kafkaConnectionOptions.saslMechanism,
  saslUsername: kafkaConnectionOptions.saslUsername,
  saslPassword: kafkaConnectionOptions.saslPassword,
  awsRegion: kafkaConnectionOptions.awsRegion,
};

/**
 * Every environment variable of the `cdc-cache/lambda` handlers, as data: the same declarations as the
 * workers' (name, parser, doc), with the Lambda's own required/optional choices. The Lambda environment
 * reference in docs/dynamodb.md is generated from it.
 *
 * @example
 * const resolved = resolveConfig(lambdaConfigSchema, { env: process.env })
 */
export const lambdaConfigSchema = {
  keyspace: cacheTargetOptions.keyspace,
  keyPrefix: cacheTargetOptions.keyPrefix,
  // No default: a Lambda pointed at localhost by omission would fail every batch, far from the cause.
  redisUrl: requiredIn(cacheTargetOptions.redisUrl),
  redisUsername: cacheTargetOptions.redisUsername,
  redisPassword: cacheTargetOptions.redisPassword,
  redisPasswordSecretArn: defineOption({
    env: 'CDC_CACHE_REDIS_PASSWORD_SECRET_ARN',
    flag: 'redis-password-secret-arn',
    description:
      'Lambda: Secrets Manager secret holding the Redis password (plain, or JSON with `password`), read once per cold start; needs secretsmanager:GetSecretValue',
    parse: parsers.string,
  }),
  redisCluster: cacheTargetOptions.redisCluster,
  redisClient: cacheTargetOptions.redisClient,
  redisAuth: cacheTargetOptions.redisAuth,
  redisIamCacheName: cacheTargetOptions.redisIamCacheName,
  redisIamRegion: cacheTargetOptions.redisIamRegion,
  redisWaitReplicas: cacheTargetOptions.redisWaitReplicas,
  redisWaitTimeoutMs: cacheTargetOptions.redisWaitTimeoutMs,
  logLevel: processOptions.logLevel,
  table: dynamodbRecordOptions.table,
  versionAttribute: dynamodbRecordOptions.versionAttribute,
  ...lambdaKafkaOptions,
};

/** The Lambda's configuration, read from the shared `CDC_CACHE_*` environment variables. */
export interface LambdaConfig {
  readonly keyspacePath: string;
  readonly prefix: string | undefined;
  readonly redisUrl: string;
  readonly redisUsername: string | undefined;
  readonly redisPassword: string | undefined;
  readonly redisPasswordSecretArn: string | undefined;
  readonly redisCluster: boolean;
  readonly redisClient: RedisClientLibrary;
  readonly redisAuth: RedisAuthMode;
  readonly redisIamCacheName: string | undefined;
  readonly redisIamRegion: string | undefined;
  readonly logLevel: string;
  readonly tableName: string | undefined;
  readonly versionAttribute: string | undefined;
  readonly dlqTopic: string | undefined;
  readonly kafkaBrokers: readonly string[];
  readonly redisWaitReplicas: ReplicaAckSetting;
  readonly redisWaitTimeoutMs: number;
  /** How the dead-letter producer reaches Kafka (client id, TLS, SASL, region). */
  readonly kafka: LambdaKafkaSettings;
}

/** The Kafka connection settings of the dead-letter producer. */
export interface LambdaKafkaSettings {
  readonly clientId: string;
  readonly ssl: boolean;
  readonly saslMechanism: SaslMechanism | undefined;
  readonly saslUsername: string | undefined;
  readonly saslPassword: string | undefined;
  readonly awsRegion: string | undefined;
}

/**
 * Read and validate the configuration from the environment; every missing or malformed variable is
 * reported at once as `CDC_CONFIG_INVALID`, naming the option and its variable.
 *
 * @example
 * const config = readLambdaConfig({ CDC_CACHE_KEYSPACE: './keyspace.json', CDC_CACHE_REDIS_URL: 'rediss://cache:6379' })
 */
export function readLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const values = resolveFromEnv(lambdaConfigSchema, env);
  return {
    keyspacePath: values.keyspace,
    prefix: values.keyPrefix,
    redisUrl: values.redisUrl,
    redisUsername: values.redisUsername,
    redisPassword: values.redisPassword,
    redisPasswordSecretArn: values.redisPasswordSecretArn,
    redisCluster: values.redisCluster,
    redisClient: values.redisClient,
    redisAuth: values.redisAuth,
    redisIamCacheName: values.redisIamCacheName,
    redisIamRegion: values.redisIamRegion,
    logLevel: values.logLevel,
    tableName: values.table,
    versionAttribute: values.versionAttribute,
    dlqTopic: values.deadLetterTopic,
    kafkaBrokers: values.brokers ?? [],
    redisWaitReplicas: values.redisWaitReplicas,
    redisWaitTimeoutMs: values.redisWaitTimeoutMs,
    kafka: kafkaSettings(values),
  };
}

/**
 * The dead-letter producer's Kafka connection settings alone, from the environment.
 *
 * @example
 * const connection = readLambdaKafkaSettings(process.env)
 */
export function readLambdaKafkaSettings(env: NodeJS.ProcessEnv = process.env): LambdaKafkaSettings {
  return kafkaSettings(resolveFromEnv(lambdaKafkaOptions, env));
}

function kafkaSettings(values: ConfigValues<typeof lambdaKafkaOptions>): LambdaKafkaSettings {
  return {
    clientId: values.clientId,
    ssl: values.ssl,
    saslMechanism: values.saslMechanism,
    saslUsername: values.saslUsername,
    saslPassword: values.saslPassword,
    awsRegion: values.awsRegion,
  };
}

function resolveFromEnv<Schema extends ConfigSchema>(
  schema: Schema,
  env: NodeJS.ProcessEnv,
): ConfigValues<Schema> {
  const resolved = resolveConfig(schema, { env });
  // Without argv there is no --help: the values are always there.
  return (resolved as { values: ConfigValues<Schema> }).values;
}
