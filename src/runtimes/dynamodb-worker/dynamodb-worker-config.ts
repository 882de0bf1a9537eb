import { type ConfigValues, defineOption, parsers } from '../shared/config-schema';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from '../shared/shutdown';
import { DYNAMODB_WORKER_DEFAULTS } from './create-dynamodb-worker';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Every option of `cdc-cache worker dynamodb`, as data: `--help` and the docs' reference come from it.
 *
 * @example
 * const resolved = resolveConfig(dynamodbWorkerConfigSchema, { argv, env: process.env })
 */
export const dynamodbWorkerConfigSchema = {
  table: defineOption({
    env: 'CDC_CACHE_DYNAMODB_TABLE',
    flag: 'table',
    description: 'DynamoDB table whose stream to consume',
    parse: parsers.string,
    required: true,
  }),
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
    description: 'Redis URL; rediss:// for TLS. Leases and checkpoints are kept in this Redis too',
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
  endpoint: defineOption({
    env: 'CDC_CACHE_DYNAMODB_ENDPOINT',
    flag: 'dynamodb-endpoint',
    description:
      'DynamoDB and Streams endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local (default: AWS)',
    parse: parsers.url(['http:', 'https:']),
  }),
  region: defineOption({
    env: 'AWS_REGION',
    flag: 'aws-region',
    description: "AWS region (default: the SDK's resolution)",
    parse: parsers.string,
  }),
  versionAttribute: defineOption({
    env: 'CDC_CACHE_DYNAMODB_VERSION_ATTRIBUTE',
    flag: 'version-attribute',
    description: 'Numeric item attribute that orders versions, instead of stream sequence numbers',
    parse: parsers.string,
  }),
  initialPosition: defineOption({
    env: 'CDC_CACHE_DYNAMODB_INITIAL_POSITION',
    flag: 'initial-position',
    description: 'Where a shard without checkpoint starts: trim_horizon (every retained record) or latest',
    parse: parsers.oneOf(['trim_horizon', 'latest'] as const),
    default: DYNAMODB_WORKER_DEFAULTS.initialPosition,
  }),
  batchSize: defineOption({
    env: 'CDC_CACHE_DYNAMODB_BATCH_SIZE',
    flag: 'batch-size',
    description: 'Records per GetRecords call, applied in one Redis pipeline',
    parse: parsers.integer({ min: 1, max: 1000 }),
    default: DYNAMODB_WORKER_DEFAULTS.batchSize,
  }),
  idleMs: defineOption({
    env: 'CDC_CACHE_DYNAMODB_IDLE_MS',
    flag: 'idle-ms',
    description: 'Wait after an empty page of an open shard',
    parse: parsers.integer({ min: 1, max: 60_000 }),
    default: DYNAMODB_WORKER_DEFAULTS.idleMs,
  }),
  leaseMs: defineOption({
    env: 'CDC_CACHE_DYNAMODB_LEASE_MS',
    flag: 'lease-ms',
    description: 'Shard lease duration: a worker that stops renewing loses its shards after this long',
    parse: parsers.integer({ min: 1_000, max: 600_000 }),
    default: DYNAMODB_WORKER_DEFAULTS.leaseMs,
  }),
  discoveryMs: defineOption({
    env: 'CDC_CACHE_DYNAMODB_DISCOVERY_MS',
    flag: 'discovery-ms',
    description: 'How often the stream is described to find new shards and rebalance',
    parse: parsers.integer({ min: 100, max: 600_000 }),
    default: DYNAMODB_WORKER_DEFAULTS.discoveryMs,
  }),
  retryMaxMs: defineOption({
    env: 'CDC_CACHE_RETRY_MAX_MS',
    flag: 'retry-max-ms',
    description: 'Longest wait between attempts while Redis or the stream is unreachable',
    parse: parsers.integer({ min: 100, max: 600_000 }),
    default: DYNAMODB_WORKER_DEFAULTS.retryMaxMs,
  }),
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

/** The resolved configuration of `cdc-cache worker dynamodb`. */
export type DynamoDbWorkerConfig = ConfigValues<typeof dynamodbWorkerConfigSchema>;
