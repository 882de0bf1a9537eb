import { existsSync, readFileSync } from 'node:fs';
import { extname, isAbsolute, relative, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CdcCacheError, type CdcCacheErrorOptions } from '../../src/errors';
import { keyspaceFromData } from '../../src/keyspace/load-keyspace';
import { kafkaWorkerConfigSchema } from '../../src/runtimes/kafka-worker/kafka-worker-config';
import { postgresWorkerConfigSchema } from '../../src/runtimes/postgres-worker/postgres-worker-config';
import { dynamodbRecordOptions, processOptions } from '../../src/runtimes/shared/common-options';
import type { OptionSpec } from '../../src/runtimes/shared/config-schema';
import { INFRA_SETTINGS, type InfraSettingKey } from './settings';

/** The repository root: the Docker build context of the worker image and the esbuild project root of the Lambda. */
export const REPO_ROOT = resolve(__dirname, '..', '..');

/** How the Kafka worker authenticates to MSK. */
export type KafkaAuthConfig =
  | { readonly mechanism: 'aws-msk-iam' }
  | {
      readonly mechanism: 'scram-sha-512';
      /** ARN of the MSK SCRAM secret (`AmazonMSK_...`, JSON `{ "username", "password" }`). */
      readonly secretArn: string;
      /** ARN of the customer-managed KMS key that encrypts that secret (MSK requires one). */
      readonly secretKmsKeyArn?: string;
    };

/** The VPC: import an existing one by attributes (no lookups, so synth stays offline), or create one. */
export type VpcConfig =
  | {
      readonly vpcId: string;
      readonly availabilityZones: readonly string[];
      /** Private subnets (with a route to NAT or VPC endpoints), one per availability zone, same order. */
      readonly privateSubnetIds: readonly string[];
    }
  | { readonly create: { readonly maxAzs: number; readonly natGateways: number } };

/** The DynamoDB stream consumer (Lambda + event source mapping). */
export interface StreamConsumerConfig {
  readonly tableName: string;
  /** The table's stream ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`). */
  readonly tableStreamArn: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly retryAttempts: number;
  readonly maxRecordAgeSeconds: number;
  readonly parallelizationFactor: number;
  readonly iteratorAgeAlarmMs: number;
  readonly versionAttribute?: string;
}

/** The Kafka consumer service (ECS Fargate). */
export interface KafkaConsumerConfig {
  /** Bootstrap brokers, comma-separated (the MSK bootstrap string for the chosen auth). */
  readonly brokers: string;
  readonly topics: readonly string[];
  /** Partitions the consumer group spreads over (all topics together): the most tasks that can ever get work. */
  readonly partitionCount: number;
  readonly mskClusterArn: string;
  readonly auth: KafkaAuthConfig;
  readonly groupId: string;
  readonly dlqTopic: string;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** A pre-built image (`<repo>:<tag>` or ECR URI) instead of building the repository's Dockerfile. */
  readonly image?: string;
  /** Where the keyspace file is inside the image (default `/etc/cdc-cache/<file name>`). */
  readonly keyspacePathInImage?: string;
  /** Security group of the MSK brokers: when set, the worker's security group is allowed into it. */
  readonly mskSecurityGroupId?: string;
  readonly lagAlarmSeconds: number;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly cpuArchitecture: 'arm64' | 'x86_64';
}

/** The PostgreSQL logical replication worker (ECS Fargate), `cdc-cache worker postgres`. */
export interface PostgresConsumerConfig {
  /** `postgres://user@host:5432/db?sslmode=require`, without the password. */
  readonly url: string;
  /** Secrets Manager secret (plain string) holding the password. */
  readonly passwordSecretArn: string;
  readonly slot: string;
  readonly publication: string;
  readonly tables?: readonly string[];
  /** Security group of the database: when set, the worker's security group is allowed into it on 5432. */
  readonly databaseSecurityGroupId?: string;
  /** Tasks: one streams, the others stand by to take over the slot. */
  readonly tasks: number;
  readonly image?: string;
  readonly keyspacePathInImage?: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly cpuArchitecture: 'arm64' | 'x86_64';
}

/** Everything the app stack needs, validated. */
export interface CdcCacheConfig {
  readonly stackName: string;
  /** Absolute path of the keyspace file (.json, .yaml or .yml), inside the repository. */
  readonly keyspaceFile: string;
  /** Effective key prefix: the `keyPrefix` override, else the keyspace's own prefix. */
  readonly keyPrefix: string;
  /** Whether `keyPrefix` came from configuration (then it is passed as CDC_CACHE_KEY_PREFIX). */
  readonly keyPrefixOverride?: string;
  readonly vpc: VpcConfig;
  readonly cacheName: string;
  readonly readServiceSecurityGroupIds: readonly string[];
  readonly cacheMaxDataStorageGb?: number;
  readonly cacheMaxEcpuPerSecond?: number;
  /** How the runtimes authenticate to the cache (`cacheAuth`). */
  readonly cacheAuth: CacheAuth;
  readonly streamConsumer?: StreamConsumerConfig;
  readonly kafkaConsumer?: KafkaConsumerConfig;
  readonly postgresConsumer?: PostgresConsumerConfig;
  readonly alarmTopicArn?: string;
  readonly logLevel: string;
  readonly logRetentionDays: number;
  /** The DynamoDB stream consumer Lambda's runtime. */
  readonly lambdaRuntime: LambdaRuntime;
}

/** How the runtimes authenticate to ElastiCache: RBAC passwords or IAM tokens (signed by the runtimes). */
export const CACHE_AUTH_MODES = ['password', 'iam'] as const;

/** A cache authentication mode. */
export type CacheAuth = (typeof CACHE_AUTH_MODES)[number];

/** The Lambda runtimes the stream consumer can run on (Node.js 22 or 24; the bundle targets the same). */
export const LAMBDA_RUNTIMES = ['nodejs22.x', 'nodejs24.x'] as const;

/** A supported Lambda runtime. */
export type LambdaRuntime = (typeof LAMBDA_RUNTIMES)[number];

/**
 * Defaults of every optional setting, as docs/infra.md documents them; a setting that is also a runtime
 * option takes that option's default (the runtimes' declarations are the one source).
 */
export const CONFIG_DEFAULTS = {
  stackName: 'CdcCache',
  vpcMaxAzs: 2,
  vpcNatGateways: 1,
  batchSize: 100,
  maxBatchingWindowSeconds: 0,
  retryAttempts: 10,
  maxRecordAgeSeconds: 3600,
  parallelizationFactor: 1,
  iteratorAgeAlarmMs: 60_000,
  kafkaGroupId: kafkaWorkerConfigSchema.groupId.default,
  kafkaDlqTopic: kafkaWorkerConfigSchema.deadLetterTopic.default,
  kafkaMinTasks: 1,
  kafkaLagAlarmSeconds: 60,
  kafkaCpu: 512,
  kafkaMemoryMiB: 1024,
  kafkaCpuArchitecture: 'arm64',
  postgresSlot: postgresWorkerConfigSchema.slot.default,
  postgresTasks: 2,
  postgresCpu: 256,
  postgresMemoryMiB: 512,
  postgresCpuArchitecture: 'arm64',
  logLevel: processOptions.logLevel.default,
  logRetentionDays: 30,
  lambdaRuntime: 'nodejs22.x',
  cacheAuth: 'password',
} as const;

/** Every context key the app reads (all prefixed `cdc-cache:` on the command line or in cdk.json). */
export const CONTEXT_KEYS = ['configFile', ...Object.keys(INFRA_SETTINGS)] as readonly ContextKey[];

/** A context key the app understands: the config file, or a setting declared in settings.ts. */
export type ContextKey = 'configFile' | InfraSettingKey;

/** Raw settings as they come from context or a config file: strings from `-c`, any JSON from files. */
export type RawConfig = Partial<Record<ContextKey, unknown>>;

const STREAM_ARN = /^arn:aws[a-z-]*:dynamodb:[a-z0-9-]+:\d{12}:table\/([A-Za-z0-9_.-]{3,255})\/stream\/\S+$/;
const MSK_CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/;

/**
 * A setting that is wrong: a `CDC_CONFIG_INVALID` error whose message names the context key and where its
 * value came from (`-c cdc-cache:<key>` or the config file).
 */
export class InfraConfigError extends CdcCacheError {
  constructor(message: string, options: CdcCacheErrorOptions = {}) {
    super('CDC_CONFIG_INVALID', message, options);
    this.name = 'InfraConfigError';
  }
}

function fail(key: ContextKey, problem: string): never {
  throw new InfraConfigError(`cdc-cache:${key}: ${problem}`, { details: { setting: key } });
}

/** Where each raw setting came from, recorded by {@link readRawConfig} for the error messages. */
const RAW_SOURCES = new WeakMap<RawConfig, Partial<Record<string, string>>>();

/**
 * A setting that is also a runtime option, read with that option's parser and default: the app refuses
 * what the worker would refuse, and the two defaults cannot drift apart.
 */
function fromOption<T>(raw: RawConfig, key: ContextKey, option: OptionSpec<T>): T {
  const value = raw[key];
  // `T` includes undefined exactly when the option has no default.
  if (value === undefined || value === null || value === '') return option.default as T;
  const text = Array.isArray(value) ? value.map(String).join(',') : String(value);
  try {
    return option.parse(text.trim());
  } catch (error) {
    fail(key, (error as Error).message);
  }
}

function optionalString(raw: RawConfig, key: ContextKey): string | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') fail(key, `must be a string, got ${JSON.stringify(value)}`);
  return value.trim();
}

function requiredString(raw: RawConfig, key: ContextKey, why: string): string {
  return optionalString(raw, key) ?? fail(key, `is required ${why}`);
}

function optionalList(raw: RawConfig, key: ContextKey): string[] | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return undefined;
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : undefined;
  if (!items || items.some((item) => typeof item !== 'string'))
    fail(key, `must be a list of strings or a comma-separated string, got ${JSON.stringify(value)}`);
  const list = (items as string[]).map((item) => item.trim()).filter((item) => item.length > 0);
  return list.length > 0 ? list : undefined;
}

function integer(raw: RawConfig, key: ContextKey, fallback: number, min: number, max: number): number;
function integer(
  raw: RawConfig,
  key: ContextKey,
  fallback: undefined,
  min: number,
  max: number,
): number | undefined;
function integer(
  raw: RawConfig,
  key: ContextKey,
  fallback: number | undefined,
  min: number,
  max: number,
): number | undefined {
  const value = raw[key];
  if (value === undefined || value === null || value === '') return fallback;
  const number = typeof value === 'string' ? Number(value.trim()) : value;
  if (typeof number !== 'number' || !Number.isInteger(number) || number < min || number > max)
    fail(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return number;
}

function oneOf<T extends string>(raw: RawConfig, key: ContextKey, allowed: readonly T[], fallback: T): T {
  const value = optionalString(raw, key) ?? fallback;
  if (!allowed.includes(value as T)) fail(key, `must be one of ${allowed.join(', ')}, got '${value}'`);
  return value as T;
}

/** Check the keyspace file exists, is data (not code), lies in the repository, and is a valid keyspace. */
function readKeyspace(raw: RawConfig): { file: string; prefix: string } {
  const given = requiredString(
    raw,
    'keyspaceFile',
    '(path of a .json/.yaml keyspace, relative to the repository)',
  );
  const file = isAbsolute(given) ? given : resolve(REPO_ROOT, given);
  const extension = extname(file).toLowerCase();
  if (!['.json', '.yaml', '.yml'].includes(extension))
    fail(
      'keyspaceFile',
      `must be a .json, .yaml or .yml file (the deployed runtimes load data, not code): ${given}`,
    );
  const inside = relative(REPO_ROOT, file);
  if (inside.startsWith('..') || isAbsolute(inside))
    fail('keyspaceFile', `must be inside the repository (the worker image is built from it): ${given}`);
  if (!existsSync(file)) fail('keyspaceFile', `no such file: ${file}`);
  const text = readFileSync(file, 'utf8');
  let data: unknown;
  try {
    data = extension === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    fail(
      'keyspaceFile',
      `${given} is not valid ${extension === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`,
    );
  }
  try {
    return { file, prefix: keyspaceFromData(data, given).prefix };
  } catch (error) {
    fail('keyspaceFile', (error as Error).message);
  }
}

function readVpc(raw: RawConfig): VpcConfig {
  const vpcId = optionalString(raw, 'vpcId');
  if (vpcId === undefined) {
    for (const key of ['vpcAvailabilityZones', 'vpcPrivateSubnetIds'] as const)
      if (raw[key] !== undefined) fail(key, 'is only used with cdc-cache:vpcId');
    return {
      create: {
        maxAzs: integer(raw, 'vpcMaxAzs', CONFIG_DEFAULTS.vpcMaxAzs, 2, 6),
        natGateways: integer(raw, 'vpcNatGateways', CONFIG_DEFAULTS.vpcNatGateways, 1, 6),
      },
    };
  }
  if (!/^vpc-[0-9a-f]+$/.test(vpcId)) fail('vpcId', `must look like vpc-0123abcd, got '${vpcId}'`);
  const availabilityZones =
    optionalList(raw, 'vpcAvailabilityZones') ??
    fail('vpcAvailabilityZones', 'is required with cdc-cache:vpcId');
  const privateSubnetIds =
    optionalList(raw, 'vpcPrivateSubnetIds') ??
    fail('vpcPrivateSubnetIds', 'is required with cdc-cache:vpcId');
  if (privateSubnetIds.length !== availabilityZones.length)
    fail(
      'vpcPrivateSubnetIds',
      `needs one subnet per availability zone (${availabilityZones.length}), got ${privateSubnetIds.length}`,
    );
  if (privateSubnetIds.length < 2)
    fail('vpcPrivateSubnetIds', 'needs at least two subnets in two availability zones');
  return { vpcId, availabilityZones, privateSubnetIds };
}

function readStreamConsumer(raw: RawConfig): StreamConsumerConfig | undefined {
  const tableName = optionalString(raw, 'tableName');
  const tableStreamArn = optionalString(raw, 'tableStreamArn');
  if (tableName === undefined && tableStreamArn === undefined) return undefined;
  if (tableName === undefined) fail('tableName', 'is required with cdc-cache:tableStreamArn');
  if (tableStreamArn === undefined) fail('tableStreamArn', 'is required with cdc-cache:tableName');
  const match = STREAM_ARN.exec(tableStreamArn);
  if (!match)
    fail(
      'tableStreamArn',
      `must be a DynamoDB stream ARN (…:table/<name>/stream/<label>), got '${tableStreamArn}'`,
    );
  if (match[1] !== tableName)
    fail('tableStreamArn', `is the stream of table '${match[1]}', not of '${tableName}'`);
  const versionAttribute = fromOption(raw, 'versionAttribute', dynamodbRecordOptions.versionAttribute);
  return {
    tableName,
    tableStreamArn,
    batchSize: integer(raw, 'batchSize', CONFIG_DEFAULTS.batchSize, 1, 10_000),
    maxBatchingWindowSeconds: integer(
      raw,
      'maxBatchingWindowSeconds',
      CONFIG_DEFAULTS.maxBatchingWindowSeconds,
      0,
      300,
    ),
    // Lambda accepts -1 (forever) for both; we refuse it: an unbounded retry blocks the shard behind one poison record.
    retryAttempts: integer(raw, 'retryAttempts', CONFIG_DEFAULTS.retryAttempts, 0, 10_000),
    maxRecordAgeSeconds: integer(raw, 'maxRecordAgeSeconds', CONFIG_DEFAULTS.maxRecordAgeSeconds, 60, 86_400),
    parallelizationFactor: integer(
      raw,
      'parallelizationFactor',
      CONFIG_DEFAULTS.parallelizationFactor,
      1,
      10,
    ),
    iteratorAgeAlarmMs: integer(
      raw,
      'iteratorAgeAlarmMs',
      CONFIG_DEFAULTS.iteratorAgeAlarmMs,
      1000,
      86_400_000,
    ),
    ...(versionAttribute === undefined ? {} : { versionAttribute }),
  };
}

function readKafkaConsumer(raw: RawConfig): KafkaConsumerConfig | undefined {
  const brokers = optionalList(raw, 'kafkaBrokers');
  const topics = optionalList(raw, 'kafkaTopics');
  if (brokers === undefined && topics === undefined) return undefined;
  if (brokers === undefined) fail('kafkaBrokers', 'is required with cdc-cache:kafkaTopics');
  if (topics === undefined) fail('kafkaTopics', 'is required with cdc-cache:kafkaBrokers');
  const why = 'with cdc-cache:kafkaBrokers';
  const mskClusterArn = requiredString(
    raw,
    'mskClusterArn',
    `${why} (IAM policies and the consumer-lag metric name it)`,
  );
  if (!MSK_CLUSTER_ARN.test(mskClusterArn))
    fail('mskClusterArn', `must be an MSK cluster ARN (…:cluster/<name>/<uuid>), got '${mskClusterArn}'`);
  const partitionCount =
    integer(raw, 'kafkaPartitionCount', undefined, 1, 10_000) ??
    fail('kafkaPartitionCount', `is required ${why}`);
  const mechanism = oneOf(raw, 'kafkaAuth', ['iam', 'scram'] as const, 'iam');
  let auth: KafkaAuthConfig = { mechanism: 'aws-msk-iam' };
  if (mechanism === 'scram') {
    const secretArn = requiredString(raw, 'kafkaScramSecretArn', 'with cdc-cache:kafkaAuth=scram');
    if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:AmazonMSK_\S+$/.test(secretArn))
      fail(
        'kafkaScramSecretArn',
        `must be the full ARN of a Secrets Manager secret named AmazonMSK_…, got '${secretArn}'`,
      );
    const secretKmsKeyArn = optionalString(raw, 'kafkaScramSecretKmsKeyArn');
    auth = { mechanism: 'scram-sha-512', secretArn, ...(secretKmsKeyArn ? { secretKmsKeyArn } : {}) };
  } else if (raw.kafkaScramSecretArn !== undefined) {
    fail('kafkaScramSecretArn', 'is only used with cdc-cache:kafkaAuth=scram');
  }
  const minTasks = integer(raw, 'kafkaMinTasks', CONFIG_DEFAULTS.kafkaMinTasks, 1, partitionCount);
  const maxTasks = integer(raw, 'kafkaMaxTasks', partitionCount, minTasks, partitionCount);
  const image = optionalString(raw, 'kafkaImage');
  const mskSecurityGroupId = optionalString(raw, 'mskSecurityGroupId');
  const keyspacePathInImage = optionalString(raw, 'kafkaKeyspacePathInImage');
  return {
    brokers: brokers.join(','),
    topics,
    partitionCount,
    mskClusterArn,
    auth,
    groupId: fromOption(raw, 'kafkaGroupId', kafkaWorkerConfigSchema.groupId),
    dlqTopic: fromOption(raw, 'kafkaDlqTopic', kafkaWorkerConfigSchema.deadLetterTopic),
    minTasks,
    maxTasks,
    ...(image ? { image } : {}),
    ...(keyspacePathInImage ? { keyspacePathInImage } : {}),
    ...(mskSecurityGroupId ? { mskSecurityGroupId } : {}),
    lagAlarmSeconds: integer(raw, 'kafkaLagAlarmSeconds', CONFIG_DEFAULTS.kafkaLagAlarmSeconds, 10, 86_400),
    cpu: integer(raw, 'kafkaCpu', CONFIG_DEFAULTS.kafkaCpu, 256, 16_384),
    memoryMiB: integer(raw, 'kafkaMemoryMiB', CONFIG_DEFAULTS.kafkaMemoryMiB, 512, 122_880),
    cpuArchitecture: oneOf(
      raw,
      'kafkaCpuArchitecture',
      ['arm64', 'x86_64'] as const,
      CONFIG_DEFAULTS.kafkaCpuArchitecture,
    ),
  };
}

function readPostgresConsumer(raw: RawConfig): PostgresConsumerConfig | undefined {
  const url = optionalString(raw, 'postgresUrl');
  if (url === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    fail('postgresUrl', `must be a postgres:// URL, got '${url}'`);
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')
    fail('postgresUrl', `must be a postgres:// URL, got '${parsed.protocol}'`);
  if (parsed.password !== '')
    fail('postgresUrl', 'must not contain the password: put it in cdc-cache:postgresPasswordSecretArn');
  const passwordSecretArn = requiredString(raw, 'postgresPasswordSecretArn', 'with cdc-cache:postgresUrl');
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:\S+$/.test(passwordSecretArn))
    fail('postgresPasswordSecretArn', `must be a Secrets Manager secret ARN, got '${passwordSecretArn}'`);
  const slot = fromOption(raw, 'postgresSlot', postgresWorkerConfigSchema.slot);
  // One slot, one publication: the publication is named after the slot unless set.
  const publication = fromOption(raw, 'postgresPublication', {
    ...postgresWorkerConfigSchema.publication,
    default: slot,
  });
  const tables = optionalList(raw, 'postgresTables');
  const databaseSecurityGroupId = optionalString(raw, 'postgresSecurityGroupId');
  const image = optionalString(raw, 'postgresImage');
  const keyspacePathInImage = optionalString(raw, 'postgresKeyspacePathInImage');
  return {
    url,
    passwordSecretArn,
    slot,
    publication,
    ...(tables ? { tables } : {}),
    ...(databaseSecurityGroupId ? { databaseSecurityGroupId } : {}),
    tasks: integer(raw, 'postgresTasks', CONFIG_DEFAULTS.postgresTasks, 1, 3),
    ...(image ? { image } : {}),
    ...(keyspacePathInImage ? { keyspacePathInImage } : {}),
    cpu: integer(raw, 'postgresCpu', CONFIG_DEFAULTS.postgresCpu, 256, 16_384),
    memoryMiB: integer(raw, 'postgresMemoryMiB', CONFIG_DEFAULTS.postgresMemoryMiB, 512, 122_880),
    cpuArchitecture: oneOf(
      raw,
      'postgresCpuArchitecture',
      ['arm64', 'x86_64'] as const,
      CONFIG_DEFAULTS.postgresCpuArchitecture,
    ),
  };
}

/** CloudWatch Logs accepts only these retention periods. */
const RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

function retentionDays(raw: RawConfig): number {
  const days = integer(raw, 'logRetentionDays', CONFIG_DEFAULTS.logRetentionDays, 1, 3653);
  if (!RETENTION_DAYS.includes(days))
    fail('logRetentionDays', `must be one of ${RETENTION_DAYS.join(', ')}, got ${days}`);
  return days;
}

/** Lower-case letters, digits and single hyphens, starting with a letter: valid for ElastiCache names and user IDs. */
function cacheNameFrom(stackName: string): string {
  const name = stackName
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^[^a-z]+|-+$/g, '');
  return `${name || 'cdc-cache'}`.slice(0, 30).replace(/-+$/, '');
}

/**
 * Validate raw settings (from context or a config file) into the app's configuration; a bad setting fails
 * fast with its context key in the message.
 *
 * @example
 * resolveConfig({ keyspaceFile: 'infra/examples/keyspace.json', tableName: 'Products', tableStreamArn: '…' })
 */
export function resolveConfig(raw: RawConfig): CdcCacheConfig {
  try {
    return resolveSettings(raw);
  } catch (error) {
    const setting = error instanceof InfraConfigError ? error.details['setting'] : undefined;
    const source = typeof setting === 'string' ? RAW_SOURCES.get(raw)?.[setting] : undefined;
    if (!(error instanceof InfraConfigError) || source === undefined) throw error;
    throw new InfraConfigError(`${error.message} (from ${source})`, {
      details: { ...error.details, source },
      cause: error.cause,
    });
  }
}

function resolveSettings(raw: RawConfig): CdcCacheConfig {
  const unknown = Object.keys(raw).filter((key) => !(CONTEXT_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0)
    throw new InfraConfigError(
      `unknown setting(s): ${unknown.join(', ')} (known: ${CONTEXT_KEYS.join(', ')})`,
    );
  const stackName = optionalString(raw, 'stackName') ?? CONFIG_DEFAULTS.stackName;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName))
    fail('stackName', `is not a valid stack name: '${stackName}'`);
  const keyspace = readKeyspace(raw);
  const keyPrefixOverride = optionalString(raw, 'keyPrefix');
  if (keyPrefixOverride !== undefined && /[{}]/.test(keyPrefixOverride))
    fail('keyPrefix', 'must not contain braces');
  const cacheName = optionalString(raw, 'cacheName') ?? cacheNameFrom(stackName);
  if (!/^[a-z](?:[a-z0-9]|-(?!-)){0,29}$/.test(cacheName) || cacheName.endsWith('-'))
    fail(
      'cacheName',
      `must be 1-30 lower-case letters, digits and single hyphens, starting with a letter: '${cacheName}'`,
    );
  const readServiceSecurityGroupIds = optionalList(raw, 'readServiceSecurityGroupIds') ?? [];
  for (const id of readServiceSecurityGroupIds)
    if (!/^sg-[0-9a-f]+$/.test(id))
      fail('readServiceSecurityGroupIds', `'${id}' is not a security group ID (sg-…)`);
  const streamConsumer = readStreamConsumer(raw);
  const kafkaConsumer = readKafkaConsumer(raw);
  const postgresConsumer = readPostgresConsumer(raw);
  if (!streamConsumer && !kafkaConsumer && !postgresConsumer)
    throw new InfraConfigError(
      'nothing to consume: set cdc-cache:tableName + cdc-cache:tableStreamArn (DynamoDB), cdc-cache:kafkaBrokers + cdc-cache:kafkaTopics (Kafka) and/or cdc-cache:postgresUrl + cdc-cache:postgresPasswordSecretArn (PostgreSQL logical replication)',
    );
  const maxData = integer(raw, 'cacheMaxDataStorageGb', undefined, 1, 5000);
  const maxEcpu = integer(raw, 'cacheMaxEcpuPerSecond', undefined, 1000, 15_000_000);
  const cacheAuth = oneOf<CacheAuth>(raw, 'cacheAuth', CACHE_AUTH_MODES, CONFIG_DEFAULTS.cacheAuth);
  const alarmTopicArn = optionalString(raw, 'alarmTopicArn');
  if (
    alarmTopicArn !== undefined &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/.test(alarmTopicArn)
  )
    fail('alarmTopicArn', `must be an SNS topic ARN, got '${alarmTopicArn}'`);
  return {
    stackName,
    keyspaceFile: keyspace.file,
    keyPrefix: keyPrefixOverride ?? keyspace.prefix,
    ...(keyPrefixOverride === undefined ? {} : { keyPrefixOverride }),
    vpc: readVpc(raw),
    cacheName,
    readServiceSecurityGroupIds,
    ...(maxData === undefined ? {} : { cacheMaxDataStorageGb: maxData }),
    ...(maxEcpu === undefined ? {} : { cacheMaxEcpuPerSecond: maxEcpu }),
    cacheAuth,
    ...(streamConsumer ? { streamConsumer } : {}),
    ...(kafkaConsumer ? { kafkaConsumer } : {}),
    ...(postgresConsumer ? { postgresConsumer } : {}),
    ...(alarmTopicArn ? { alarmTopicArn } : {}),
    logLevel: fromOption(raw, 'logLevel', processOptions.logLevel),
    logRetentionDays: retentionDays(raw),
    lambdaRuntime: oneOf<LambdaRuntime>(raw, 'lambdaRuntime', LAMBDA_RUNTIMES, CONFIG_DEFAULTS.lambdaRuntime),
  };
}

/**
 * Gather raw settings: the JSON file named by `cdc-cache:configFile` (relative to the repository) first,
 * then every `cdc-cache:<key>` context value on top. Context keys without the prefix are not ours.
 *
 * @example
 * const raw = readRawConfig(app.node.getAllContext())
 */
export function readRawConfig(context: Readonly<Record<string, unknown>>): RawConfig {
  const raw: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  RAW_SOURCES.set(raw, sources);
  const configFile = context['cdc-cache:configFile'];
  if (configFile !== undefined) {
    if (typeof configFile !== 'string') fail('configFile', 'must be a path');
    const path = isAbsolute(configFile) ? configFile : resolve(REPO_ROOT, configFile);
    if (!existsSync(path)) fail('configFile', `no such file: ${path}`);
    let fromFile: unknown;
    try {
      fromFile = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      fail('configFile', `${configFile} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile))
      fail('configFile', `${configFile} must hold a JSON object of settings`);
    Object.assign(raw, fromFile);
    delete raw.configFile;
    for (const name of Object.keys(raw)) sources[name] = `config file ${configFile}`;
  }
  for (const [name, value] of Object.entries(context)) {
    if (!name.startsWith('cdc-cache:') || name === 'cdc-cache:configFile') continue;
    raw[name.slice('cdc-cache:'.length)] = value;
    sources[name.slice('cdc-cache:'.length)] = `-c ${name}`;
  }
  return raw;
}
