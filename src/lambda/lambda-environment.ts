import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createInvalidationEngine } from '../core/create-invalidation-engine';
import type { InvalidationEngine } from '../core/ports';
import type { ReplicaAckSetting } from '../core/replica-ack';
import { CdcCacheError } from '../errors';
import { type Keyspace, loadKeyspace } from '../keyspace';
import { createLogger } from '../observability/create-logger';
import type { RedisClient } from '../redis/create-redis-client';
import { cacheTargetOptions } from '../runtimes/shared/common-options';
import type { ConfigOption } from '../runtimes/shared/config-schema';
import { createWorkerRedis } from '../runtimes/shared/create-worker-redis';
import type { LambdaLogger } from './lambda-logger';

/** The Lambda's configuration, read from the shared `CDC_CACHE_*` environment variables. */
export interface LambdaConfig {
  readonly keyspacePath: string;
  readonly prefix: string | undefined;
  readonly redisUrl: string;
  readonly redisUsername: string | undefined;
  readonly redisPassword: string | undefined;
  readonly redisPasswordSecretArn: string | undefined;
  readonly redisCluster: boolean;
  readonly logLevel: string;
  readonly tableName: string | undefined;
  readonly versionAttribute: string | undefined;
  readonly dlqTopic: string | undefined;
  readonly kafkaBrokers: readonly string[];
  readonly redisWaitReplicas: ReplicaAckSetting;
  readonly redisWaitTimeoutMs: number;
}

/** What a cold start builds once and every invocation reuses. */
export interface LambdaEnvironment {
  readonly config: LambdaConfig;
  readonly keyspace: Keyspace;
  readonly redis: RedisClient;
  readonly engine: InvalidationEngine;
}

/**
 * Read and validate the configuration; a missing or malformed variable fails with `CDC_CONFIG_INVALID`
 * naming it.
 *
 * @example
 * const config = readLambdaConfig({ CDC_CACHE_KEYSPACE: './keyspace.json', CDC_CACHE_REDIS_URL: 'rediss://cache:6379' })
 */
export function readLambdaConfig(env: NodeJS.ProcessEnv = process.env): LambdaConfig {
  const required = (name: string): string => {
    const value = env[name]?.trim();
    if (!value) throw new CdcCacheError('CDC_CONFIG_INVALID', `${name}: required by the cdc-cache Lambda`);
    return value;
  };
  const optional = (name: string): string | undefined => env[name]?.trim() || undefined;
  const redisUrl = required('CDC_CACHE_REDIS_URL');
  if (!/^rediss?:\/\//.test(redisUrl)) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      'CDC_CACHE_REDIS_URL: must start with redis:// or rediss:// (TLS)',
    );
  }
  const cluster = optional('CDC_CACHE_REDIS_CLUSTER') ?? 'false';
  if (cluster !== 'true' && cluster !== 'false') {
    throw new CdcCacheError('CDC_CONFIG_INVALID', 'CDC_CACHE_REDIS_CLUSTER: must be true or false');
  }
  return {
    keyspacePath: required('CDC_CACHE_KEYSPACE'),
    prefix: env['CDC_CACHE_KEY_PREFIX'],
    redisUrl,
    redisUsername: optional('CDC_CACHE_REDIS_USERNAME'),
    redisPassword: optional('CDC_CACHE_REDIS_PASSWORD'),
    redisPasswordSecretArn: optional('CDC_CACHE_REDIS_PASSWORD_SECRET_ARN'),
    redisCluster: cluster === 'true',
    logLevel: optional('CDC_CACHE_LOG_LEVEL') ?? 'info',
    tableName: optional('CDC_CACHE_DYNAMODB_TABLE'),
    versionAttribute: optional('CDC_CACHE_DYNAMODB_VERSION_ATTRIBUTE'),
    dlqTopic: optional('CDC_CACHE_DLQ_TOPIC'),
    kafkaBrokers: (optional('CDC_CACHE_KAFKA_BROKERS') ?? '')
      .split(',')
      .map((broker) => broker.trim())
      .filter(Boolean),
    redisWaitReplicas: fromSchema(env, cacheTargetOptions.redisWaitReplicas),
    redisWaitTimeoutMs: fromSchema(env, cacheTargetOptions.redisWaitTimeoutMs),
  };
}

/** One option of the workers' schema, read from the environment the same way. */
function fromSchema<T>(env: NodeJS.ProcessEnv, option: ConfigOption<T>): T {
  const raw = env[option.env]?.trim();
  if (!raw) return option.default as T;
  try {
    return option.parse(raw);
  } catch (error) {
    throw new CdcCacheError('CDC_CONFIG_INVALID', `${option.env}: ${(error as Error).message}`);
  }
}

/**
 * The JSON-lines logger of the Lambda: pino on stdout, level from `CDC_CACHE_LOG_LEVEL`, with the workers'
 * guards (secret fields censored, URL credentials masked, long strings cut).
 *
 * @example
 * const logger = createLambdaLogger('debug')
 */
export function createLambdaLogger(level: string): LambdaLogger {
  return createLogger({ level, base: { service: 'cdc-cache' } });
}

/**
 * Build what a cold start needs: the keyspace, the Redis password (from Secrets Manager once, if configured),
 * one Redis client and the engine. Called once per container; the handlers reuse the result.
 *
 * @example
 * const environment = await createLambdaEnvironment(readLambdaConfig())
 */
export async function createLambdaEnvironment(
  config: LambdaConfig,
  secrets?: Pick<SecretsManagerClient, 'send'>,
): Promise<LambdaEnvironment> {
  const keyspace = await loadKeyspace(config.keyspacePath);
  const password = config.redisPasswordSecretArn
    ? await readPasswordSecret(secrets ?? new SecretsManagerClient({}), config.redisPasswordSecretArn)
    : config.redisPassword;
  // Commands fail fast when Redis is down: Lambda's own retry of the batch is the backoff.
  const redis = createWorkerRedis({
    redisUrl: config.redisUrl,
    redisUsername: config.redisUsername || undefined,
    redisPassword: password || undefined,
    redisCluster: config.redisCluster,
    redisWaitTimeoutMs: config.redisWaitTimeoutMs,
  });
  const engine = createInvalidationEngine({
    keyspace,
    redis,
    ...(config.prefix !== undefined ? { prefix: config.prefix } : {}),
    // Lambda retries the batch itself; a short in-process retry keeps the invocation well inside its timeout.
    retry: { retries: 3, maxDelayMs: 1000 },
    replicaAck: { replicas: config.redisWaitReplicas, timeoutMs: config.redisWaitTimeoutMs },
  });
  return { config, keyspace, redis, engine };
}

/** A secret holds the password itself, or JSON with a `password` field (the ElastiCache/RDS convention). */
export async function readPasswordSecret(
  secrets: Pick<SecretsManagerClient, 'send'>,
  arn: string,
): Promise<string> {
  let secret: string | undefined;
  try {
    secret = (await secrets.send(new GetSecretValueCommand({ SecretId: arn }))).SecretString;
  } catch (error) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `CDC_CACHE_REDIS_PASSWORD_SECRET_ARN: cannot read ${arn}: ${(error as Error).message}`,
      {
        cause: error,
        retriable: true,
      },
    );
  }
  if (!secret)
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `CDC_CACHE_REDIS_PASSWORD_SECRET_ARN: ${arn} has no SecretString`,
    );
  if (secret.trimStart().startsWith('{')) {
    try {
      const parsed = JSON.parse(secret) as { password?: unknown };
      if (typeof parsed.password === 'string') return parsed.password;
    } catch {
      // Not JSON after all: the whole string is the password.
    }
  }
  return secret;
}
