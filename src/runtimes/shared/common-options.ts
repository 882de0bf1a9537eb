import type { ReplicaAckSetting } from '../../core/replica-ack';
import { defineOption, parsers } from './config-schema';
import { DEFAULT_SHUTDOWN_TIMEOUT_MS } from './shutdown';

/** The log levels every worker accepts. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

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

function parseReplicaAck(raw: string): ReplicaAckSetting {
  const text = raw.trim().toLowerCase();
  if (text === 'auto' || text === 'off') return text;
  return parsers.integer({ min: 0, max: 64 })(text);
}

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
