import type { ReplicaAckSetting } from '../../core/replica-ack';
import { DEFAULT_RUNTIME_BACKOFF } from '../../core/retry';
import { defineOption, parsers, typed } from './config-schema';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './shutdown';

/** The log levels every worker accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const parseReplicaAck = typed('auto | off | integer 0..64', (raw: string): ReplicaAckSetting => {
  const text = raw.trim().toLowerCase();
  if (text === 'auto' || text === 'off') return text;
  return parsers.integer({ min: 0, max: 64 })(text);
});

/** The client libraries a worker or Lambda handler can open Redis with (`CDC_CACHE_REDIS_CLIENT`). */
export const REDIS_CLIENT_LIBRARIES = ['ioredis', 'node-redis', 'glide'] as const;
export type RedisClientLibrary = (typeof REDIS_CLIENT_LIBRARIES)[number];

/** How a worker or Lambda handler authenticates to Redis (`CDC_CACHE_REDIS_AUTH`). */
export const REDIS_AUTH_MODES = ['password', 'iam'] as const;
export type RedisAuthMode = (typeof REDIS_AUTH_MODES)[number];

/**
 * The options every worker shares for what it invalidates: the keyspace, the key prefix and Redis.
 *
 * @example
 * export const mySchema = { ...cacheTargetOptions, table: defineOption({ ... }) }
 */
export const cacheTargetOptions = {
  keyspace: defineOption({
    env: 'CDC_CACHE_KEYSPACE',
    flag: 'keyspace',
    description: 'Keyspace file (.json, .yaml, .yml or .js), the same one the read services use',
    parse: parsers.string,
    required: true,
  }),
  keyPrefix: defineOption({
    env: 'CDC_CACHE_KEY_PREFIX',
    flag: 'key-prefix',
    description:
      "Key prefix (deployment or tenant); overrides the keyspace's prefix and must match the SDK's",
    parse: (raw: string) => raw,
  }),
  redisUrl: defineOption({
    env: 'CDC_CACHE_REDIS_URL',
    flag: 'redis-url',
    description: 'Redis URL; rediss:// for TLS (ElastiCache in-transit encryption)',
    parse: parsers.url(['redis:', 'rediss:']),
    default: 'redis://127.0.0.1:6379',
  }),
  redisUsername: defineOption({
    env: 'CDC_CACHE_REDIS_USERNAME',
    flag: 'redis-username',
    description: 'Redis ACL user (overrides the URL)',
    parse: parsers.string,
  }),
  redisPassword: defineOption({
    env: 'CDC_CACHE_REDIS_PASSWORD',
    flag: 'redis-password',
    description: 'Redis AUTH password or ACL password (overrides the URL)',
    parse: parsers.string,
    secret: true,
  }),
  redisCluster: defineOption({
    env: 'CDC_CACHE_REDIS_CLUSTER',
    flag: 'redis-cluster',
    description: 'Redis Cluster (ElastiCache cluster mode enabled); the URL names one seed node',
    parse: parsers.boolean,
    default: false,
    switch: true,
  }),
  redisClient: defineOption({
    env: 'CDC_CACHE_REDIS_CLIENT',
    flag: 'redis-client',
    description:
      'Redis client library: ioredis (bundled), node-redis or glide (optional peer dependencies: install redis or @valkey/valkey-glide)',
    parse: parsers.oneOf(REDIS_CLIENT_LIBRARIES),
    default: 'ioredis' as RedisClientLibrary,
  }),
  redisAuth: defineOption({
    env: 'CDC_CACHE_REDIS_AUTH',
    flag: 'redis-auth',
    description:
      'How to authenticate to Redis: password (ACL user and password, or none) or iam (ElastiCache IAM tokens, node-based or Serverless, signed with the default AWS credentials and refreshed, with any client; needs rediss:// and an IAM-enabled user)',
    parse: parsers.oneOf(REDIS_AUTH_MODES),
    default: 'password' as RedisAuthMode,
  }),
  redisIamCacheName: defineOption({
    env: 'CDC_CACHE_REDIS_IAM_CACHE_NAME',
    flag: 'redis-iam-cache-name',
    description:
      'With IAM auth: the ElastiCache replication group or serverless cache name the tokens are signed for',
    parse: parsers.string,
  }),
  redisIamRegion: defineOption({
    env: 'CDC_CACHE_REDIS_IAM_REGION',
    flag: 'redis-iam-region',
    description: 'With IAM auth: the region of the ElastiCache cache (default: AWS_REGION)',
    parse: parsers.string,
  }),
  redisWaitReplicas: defineOption({
    env: 'CDC_CACHE_REDIS_WAIT_REPLICAS',
    flag: 'redis-wait-replicas',
    description:
      "Acknowledge a batch only once this many replicas hold it (WAIT): 'auto' = the most replicas seen connected, 'off', or a number",
    parse: parseReplicaAck,
    default: 'auto' as ReplicaAckSetting,
  }),
  redisWaitTimeoutMs: defineOption({
    env: 'CDC_CACHE_REDIS_WAIT_TIMEOUT_MS',
    flag: 'redis-wait-timeout-ms',
    description: 'Longest WAIT for replicas; fewer replicas in time = not acknowledged, retried',
    parse: parsers.integer({ min: 1, max: 60_000 }),
    default: 1000,
  }),
};

/**
 * The options every worker process shares: health and metrics port, log level, shutdown bound.
 *
 * @example
 * export const mySchema = { ...cacheTargetOptions, ...processOptions }
 */
export const processOptions = {
  httpPort: defineOption({
    env: 'CDC_CACHE_HTTP_PORT',
    flag: 'http-port',
    description: 'Port of /healthz, /readyz and /metrics (0 picks a free port)',
    parse: parsers.integer({ min: 0, max: 65_535 }),
    default: 9464,
  }),
  logLevel: defineOption({
    env: 'CDC_CACHE_LOG_LEVEL',
    flag: 'log-level',
    description: `Log level: ${LOG_LEVELS.join(', ')}`,
    parse: parsers.oneOf(LOG_LEVELS),
    default: 'info',
  }),
  shutdownTimeoutMs: defineOption({
    env: 'CDC_CACHE_SHUTDOWN_TIMEOUT_MS',
    flag: 'shutdown-timeout-ms',
    description:
      'On SIGTERM/SIGINT, exit anyway after this long (keep it under the orchestrator grace period)',
    parse: parsers.integer({ min: 1_000, max: 600_000 }),
    default: DEFAULT_SHUTDOWN_TIMEOUT_MS,
  }),
};

/**
 * How long a worker waits at most between attempts while Redis or its source is unreachable; each worker
 * sets its own default with `withDefault`.
 *
 * @example
 * export const mySchema = { retryMaxMs: withDefault(retryOptions.retryMaxMs, 5_000) }
 */
export const retryOptions = {
  retryMaxMs: defineOption({
    env: 'CDC_CACHE_RETRY_MAX_MS',
    flag: 'retry-max-ms',
    description:
      'Longest wait between attempts while Redis or the source is unreachable (bounded exponential backoff)',
    parse: parsers.integer({ min: 100, max: 600_000 }),
    default: DEFAULT_RUNTIME_BACKOFF.maxDelayMs as number,
  }),
};

/**
 * The options of a DynamoDB stream record's origin: the table and the attribute that orders versions.
 * Shared by `worker dynamodb`, the DynamoDB Lambda and `explain`.
 *
 * @example
 * export const mySchema = { ...dynamodbRecordOptions, batchSize: defineOption({ ... }) }
 */
export const dynamodbRecordOptions = {
  table: defineOption({
    env: 'CDC_CACHE_DYNAMODB_TABLE',
    flag: 'table',
    description:
      "DynamoDB table: the worker consumes its stream; the Lambda and explain use it instead of the record's eventSourceARN",
    parse: parsers.string,
  }),
  versionAttribute: defineOption({
    env: 'CDC_CACHE_DYNAMODB_VERSION_ATTRIBUTE',
    flag: 'version-attribute',
    description: 'Numeric item attribute that orders versions, instead of stream sequence numbers',
    parse: parsers.string,
  }),
};

/**
 * The AWS region, for the runtimes that call AWS (DynamoDB Streams, MSK IAM signing).
 *
 * @example
 * export const mySchema = { region: awsOptions.awsRegion }
 */
export const awsOptions = {
  awsRegion: defineOption({
    env: 'AWS_REGION',
    flag: 'aws-region',
    description: "AWS region of the DynamoDB table or the MSK cluster (default: the AWS SDK's resolution)",
    parse: parsers.string,
  }),
};
