import { lambdaConfigSchema } from '../../src/lambda/lambda-config';
import { kafkaWorkerConfigSchema } from '../../src/runtimes/kafka-worker/kafka-worker-config';
import { postgresWorkerConfigSchema } from '../../src/runtimes/postgres-worker/postgres-worker-config';
import type { ConfigSchema } from '../../src/runtimes/shared/config-schema';
import type { ContextKey } from './config';

/** How the CDK app handles one option of a deployed runtime. */
export type Deployment =
  /** Set from the app's setting of that name (`-c cdc-cache:<setting>`), when given. */
  | { readonly setting: ContextKey }
  /** Set by the stack itself (the cache's endpoint, the keyspace's path in the task, ...). */
  | { readonly stack: string }
  /** Left at the runtime's default: the app offers no setting for it, on purpose. */
  | { readonly notDeployable: string };

/** A deployment decision for every option of a schema: a new option fails the typecheck until it has one. */
type DeploymentOf<Schema extends ConfigSchema> = { readonly [Name in keyof Schema]: Deployment };

const cacheTarget = {
  keyspace: { stack: 'the keyspace file, copied into the Lambda bundle or the task volume' },
  keyPrefix: { setting: 'keyPrefix' },
  redisUrl: { stack: 'the ElastiCache endpoint' },
  redisUsername: { stack: "the cache's worker user" },
  redisPassword: { stack: "the worker user's password, from Secrets Manager (none with cacheAuth iam)" },
  redisCluster: { stack: 'true: ElastiCache Serverless speaks the cluster protocol' },
  redisClient: {
    notDeployable:
      'the app deploys ioredis, the default (cdc-cache signs IAM tokens for it); node-redis and GLIDE are in neither the image nor the Lambda bundle',
  },
  redisAuth: { setting: 'cacheAuth' },
  redisIamCacheName: { stack: 'the cache name (read with cacheAuth iam)' },
  redisIamRegion: { stack: "the stack's region (read with cacheAuth iam)" },
  redisWaitReplicas: { notDeployable: 'ElastiCache Serverless replicates itself; auto is right' },
  redisWaitTimeoutMs: { notDeployable: 'only matters with WAIT replicas; the default is enough' },
} as const;

const workerProcess = {
  httpPort: { stack: 'the fixed port of the health check and the metrics' },
  logLevel: { setting: 'logLevel' },
  shutdownTimeoutMs: { notDeployable: 'the default fits the ECS stop timeout the stack sets' },
  retryMaxMs: { notDeployable: 'the worker default' },
} as const;

/**
 * Every option of `cdc-cache worker kafka` and what the app does with it.
 *
 * @example
 * KAFKA_WORKER_DEPLOYMENT.groupId // { setting: 'kafkaGroupId' }
 */
export const KAFKA_WORKER_DEPLOYMENT: DeploymentOf<typeof kafkaWorkerConfigSchema> = {
  ...cacheTarget,
  ...workerProcess,
  brokers: { setting: 'kafkaBrokers' },
  topics: { setting: 'kafkaTopics' },
  topicPattern: {
    notDeployable: 'the app subscribes to the listed topics, whose partition count it scales on',
  },
  topicRefreshMs: { notDeployable: 'only used with a topic pattern' },
  groupId: { setting: 'kafkaGroupId' },
  clientId: { stack: 'cdc-cache-<stack name>' },
  fromBeginning: { notDeployable: 'a new group starts at the earliest offset and misses no change' },
  ssl: { stack: 'true: MSK IAM and SCRAM listeners are TLS' },
  sslCaFile: { notDeployable: "MSK's certificates are signed by a public CA" },
  saslMechanism: { setting: 'kafkaAuth' },
  saslUsername: { setting: 'kafkaScramSecretArn' },
  saslPassword: { setting: 'kafkaScramSecretArn' },
  awsRegion: { stack: "the stack's region" },
  deadLetterTopic: { setting: 'kafkaDlqTopic' },
  concurrency: { notDeployable: 'the worker default; scale out with kafkaMaxTasks' },
  maxMessagesPerChunk: { notDeployable: 'the worker default' },
  sessionTimeoutMs: { notDeployable: 'the worker default' },
};

/**
 * Every option of `cdc-cache worker postgres` and what the app does with it.
 *
 * @example
 * POSTGRES_WORKER_DEPLOYMENT.slot // { setting: 'postgresSlot' }
 */
export const POSTGRES_WORKER_DEPLOYMENT: DeploymentOf<typeof postgresWorkerConfigSchema> = {
  ...cacheTarget,
  ...workerProcess,
  postgresUrl: { setting: 'postgresUrl' },
  postgresPassword: { setting: 'postgresPasswordSecretArn' },
  slot: { setting: 'postgresSlot' },
  publication: { setting: 'postgresPublication' },
  tables: { setting: 'postgresTables' },
  batchSize: { notDeployable: 'the worker default' },
  maxPending: { notDeployable: 'the worker default, sized for the task memory' },
  statusIntervalMs: { notDeployable: 'the worker default' },
  lagIntervalMs: { notDeployable: 'the worker default' },
  maxRetainedMb: { notDeployable: 'the worker default; alarm on the RDS metric instead' },
};

/**
 * Every variable of the DynamoDB stream Lambda and what the app does with it.
 *
 * @example
 * STREAM_LAMBDA_DEPLOYMENT.table // { setting: 'tableName' }
 */
export const STREAM_LAMBDA_DEPLOYMENT: DeploymentOf<typeof lambdaConfigSchema> = {
  ...cacheTarget,
  redisPassword: { notDeployable: 'the Lambda reads the password from Secrets Manager instead' },
  redisPasswordSecretArn: { stack: "the worker user's password secret (none with cacheAuth iam)" },
  logLevel: { setting: 'logLevel' },
  table: { setting: 'tableName' },
  versionAttribute: { setting: 'versionAttribute' },
  deadLetterTopic: { notDeployable: 'the stream Lambda sends what it gives up on to an SQS queue' },
  brokers: {
    notDeployable: 'Kafka dead-letter producer: the app deploys the Kafka worker, not the Kafka Lambda',
  },
  clientId: { notDeployable: 'Kafka dead-letter producer only' },
  ssl: { notDeployable: 'Kafka dead-letter producer only' },
  saslMechanism: { notDeployable: 'Kafka dead-letter producer only' },
  saslUsername: { notDeployable: 'Kafka dead-letter producer only' },
  saslPassword: { notDeployable: 'Kafka dead-letter producer only' },
  awsRegion: { notDeployable: 'the Lambda runtime sets AWS_REGION itself (a reserved variable)' },
};

/** The deployed runtimes: schema and deployment decisions, by the name the docs use. */
export const DEPLOYED_RUNTIMES = {
  'worker kafka': { schema: kafkaWorkerConfigSchema, deployment: KAFKA_WORKER_DEPLOYMENT },
  'worker postgres': { schema: postgresWorkerConfigSchema, deployment: POSTGRES_WORKER_DEPLOYMENT },
  lambda: { schema: lambdaConfigSchema, deployment: STREAM_LAMBDA_DEPLOYMENT },
} as const;
