import {
  awsOptions,
  cacheTargetOptions,
  dynamodbRecordOptions,
  processOptions,
  retryOptions,
} from '../shared/common-options';
import { type ConfigValues, defineOption, parsers, requiredIn, withDefault } from '../shared/config-schema';
import { DYNAMODB_WORKER_DEFAULTS } from './create-dynamodb-worker';
import { REDIS_DEAD_LETTER_DEFAULTS } from './redis-dead-letters';

/**
 * Every option of `cdc-cache worker dynamodb`, as data: `--help` and the docs' reference come from it.
 *
 * @example
 * const resolved = resolveConfig(dynamodbWorkerConfigSchema, { argv, env: process.env })
 */
export const dynamodbWorkerConfigSchema = {
  table: requiredIn(dynamodbRecordOptions.table),
  ...cacheTargetOptions,
  endpoint: defineOption({
    env: 'CDC_CACHE_DYNAMODB_ENDPOINT',
    flag: 'dynamodb-endpoint',
    description:
      'DynamoDB and Streams endpoint, e.g. http://127.0.0.1:8000 for DynamoDB Local (default: AWS)',
    parse: parsers.url(['http:', 'https:']),
  }),
  region: awsOptions.awsRegion,
  versionAttribute: dynamodbRecordOptions.versionAttribute,
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
  retryMaxMs: withDefault(retryOptions.retryMaxMs, DYNAMODB_WORKER_DEFAULTS.retryMaxMs),
  deadLetterMaxLength: defineOption({
    env: 'CDC_CACHE_DEAD_LETTER_MAX_LENGTH',
    flag: 'dead-letter-max-length',
    description:
      'Poison records kept (approximately) in the Redis dead-letter stream; they hold row data, so keep it small',
    parse: parsers.integer({ min: 1, max: 1_000_000 }),
    default: REDIS_DEAD_LETTER_DEFAULTS.maxLength,
  }),
  deadLetterRetentionMs: defineOption({
    env: 'CDC_CACHE_DEAD_LETTER_RETENTION_MS',
    flag: 'dead-letter-retention-ms',
    description: 'How long a poison record stays in the Redis dead-letter stream (default 7 days)',
    parse: parsers.integer({ min: 60_000, max: 366 * 24 * 3_600_000 }),
    default: REDIS_DEAD_LETTER_DEFAULTS.retentionMs,
  }),
  ...processOptions,
};

/** The resolved configuration of `cdc-cache worker dynamodb`. */
export type DynamoDbWorkerConfig = ConfigValues<typeof dynamodbWorkerConfigSchema>;
