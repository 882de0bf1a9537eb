// The `cdc-cache` package entry: the read-side SDK and the keyspace. No worker code here.
export {
  CdcCacheError,
  type CdcCacheErrorOptions,
  ERROR_CODES,
  type ErrorCode,
  isRetriableError,
} from './errors';
export {
  type BinlogPosition,
  type Duration,
  defineKeyspace,
  type EntityDefinition,
  type EntityDefinitions,
  type EntityMode,
  type EntitySpec,
  encodeKeyValue,
  type KeyParams,
  type Keyspace,
  type KeyspaceOptions,
  type KeyValue,
  keyspaceFromData,
  loadKeyspace,
  type PostgresSnapshotPosition,
  type ReadPosition,
  type SourceDefinition,
} from './keyspace';
export type { RedisClient, RedisInput } from './redis/create-redis-client';
export {
  type ElastiCacheIamAuth,
  type ElastiCacheIamAuthOptions,
  elasticacheIamAuth,
  IAM_TOKEN_REFRESH_INTERVAL_MS,
  type NodeRedisIamCredentialsProvider,
  type PasswordClient,
} from './redis/iam/elasticache-iam-auth';
export {
  type AwsCredentials,
  type AwsCredentialsProvider,
  ELASTICACHE_IAM_TOKEN_EXPIRY_SECONDS,
  signElastiCacheIamToken,
} from './redis/iam/elasticache-iam-token';
export type { RedisArg, RedisNode, RedisPort, RedisReply } from './redis/redis-port';
export { jsonSerializer, type Serializer } from './redis/serializer';
export { type AnyRedisClient, type RedisPortInput, toRedisPort } from './redis/to-redis-port';
export {
  type BypassReason,
  type CacheEventMap,
  type CacheEventName,
  CacheEvents,
} from './sdk/cache-events';
export { type CacheOptions, DEFAULT_CACHE_OPTIONS } from './sdk/cache-options';
export {
  type BatchLoader,
  type BatchLoaderContext,
  type Cache,
  type CacheClientOf,
  createCache,
  type GetOneOptions,
  type GetOptions,
  type Loader,
  type LoaderContext,
  type ReadPositionReporter,
} from './sdk/create-cache';
export {
  POSTGRES_POSITION_SQL,
  type PostgresQueryClient,
  readPostgresPosition,
} from './sdk/read-postgres-position';
export {
  type CacheMetricsOptions,
  DEFAULT_LOAD_BUCKETS,
  registerCacheMetrics,
} from './sdk/register-cache-metrics';
