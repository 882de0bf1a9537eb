export {
  createDynamoDbWorker,
  DYNAMODB_WORKER_DEFAULTS,
  type DynamoDbWorker,
  type DynamoDbWorkerLogger,
  type DynamoDbWorkerOptions,
  type StreamDeadLetter,
  type StreamDeadLetterSink,
} from './create-dynamodb-worker';
export { type DynamoDbWorkerConfig, dynamodbWorkerConfigSchema } from './dynamodb-worker-config';
export { createDynamoDbWorkerMetrics, type DynamoDbWorkerMetrics } from './dynamodb-worker-metrics';
export { createRedisDeadLetters, type RedisDeadLettersOptions } from './redis-dead-letters';
export { type RunningDynamoDbWorker, runDynamoDbWorker } from './run-dynamodb-worker';
export {
  createShardStore,
  SHARD_END,
  type ShardClaim,
  type ShardStore,
  type ShardStoreOptions,
} from './shard-store';
