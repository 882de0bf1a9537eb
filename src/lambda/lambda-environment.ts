import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createInvalidationEngine } from '../core/create-invalidation-engine';
import type { InvalidationEngine } from '../core/ports';
import { CdcCacheError } from '../errors';
import { type Keyspace, loadKeyspace } from '../keyspace';
import { attachLogger } from '../observability/attach-logger';
import { createLogger } from '../observability/create-logger';
import { createInstrumentation } from '../observability/instrumentation';
import { WORKER_ENGINE_RETRY } from '../runtimes/shared/create-worker-engine';
import { createWorkerRedis, type WorkerRedis } from '../runtimes/shared/create-worker-redis';
import type { LambdaConfig } from './lambda-config';
import type { LambdaLogger } from './lambda-logger';

/** What a cold start builds once and every invocation reuses. */
export interface LambdaEnvironment {
  readonly config: LambdaConfig;
  readonly keyspace: Keyspace;
  /** One client per container, reused by every invocation. */
  readonly redis: WorkerRedis;
  readonly engine: InvalidationEngine;
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
  logger?: LambdaLogger,
): Promise<LambdaEnvironment> {
  const keyspace = await loadKeyspace(config.keyspacePath);
  const password = config.redisPasswordSecretArn
    ? await readPasswordSecret(secrets ?? new SecretsManagerClient({}), config.redisPasswordSecretArn)
    : config.redisPassword;
  // Commands fail fast when Redis is down: Lambda's own retry of the batch is the backoff.
  const redis = await createWorkerRedis({
    redisUrl: config.redisUrl,
    redisUsername: config.redisUsername || undefined,
    redisPassword: password || undefined,
    redisCluster: config.redisCluster,
    redisClient: config.redisClient,
    redisAuth: config.redisAuth,
    redisIamCacheName: config.redisIamCacheName,
    redisIamRegion: config.redisIamRegion,
    redisWaitTimeoutMs: config.redisWaitTimeoutMs,
  });
  // The engine's events (retries, outages, images missing key columns) go to the function's log.
  const instrumentation = createInstrumentation();
  if (logger) attachLogger(instrumentation, logger);
  const engine = createInvalidationEngine({
    keyspace,
    redis: redis.port,
    instrumentation,
    ...(config.prefix !== undefined ? { prefix: config.prefix } : {}),
    // Lambda retries the batch itself; the workers' short retry keeps the invocation well inside its timeout.
    retry: WORKER_ENGINE_RETRY,
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
