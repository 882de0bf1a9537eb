/** One setting of the CDK app (`-c cdc-cache:<key>` or a key of the config file), as docs/infra.md shows it. */
export interface InfraSetting {
  /** One line (or two) for the settings table. */
  readonly doc: string;
  /** The default as the docs say it, when it is not a value of `CONFIG_DEFAULTS` (`required`, `none`, ...). */
  readonly defaultText?: string;
}

/** Settings of the whole stack. */
const general = {
  stackName: { doc: 'CloudFormation stack name; also the prefix of the exported outputs' },
  keyspaceFile: {
    defaultText: 'required',
    doc: "the keyspace (`.json`, `.yaml` or `.yml`), inside the repository. It is validated at synth time with the same loader the runtimes use, copied into the Lambda bundle, and written into the worker task's keyspace volume",
  },
  keyPrefix: {
    defaultText: "the keyspace's `prefix`",
    doc: "per-deployment prefix override (`CDC_CACHE_KEY_PREFIX`); the cache users' ACLs are scoped to it",
  },
  logLevel: { doc: '`CDC_CACHE_LOG_LEVEL` of every consumer' },
  logRetentionDays: { doc: 'CloudWatch Logs retention of every consumer' },
  lambdaRuntime: {
    doc: 'Runtime of the DynamoDB stream consumer Lambda: `nodejs22.x` or `nodejs24.x`',
  },
  alarmTopicArn: { defaultText: 'none', doc: 'SNS topic that every alarm notifies' },
} satisfies Record<string, InfraSetting>;

const network = {
  vpcId: { defaultText: 'none: create a VPC', doc: 'import this VPC instead' },
  vpcAvailabilityZones: {
    defaultText: 'with `vpcId`',
    doc: 'its availability zones, e.g. `eu-west-1a,eu-west-1b`',
  },
  vpcPrivateSubnetIds: {
    defaultText: 'with `vpcId`',
    doc: 'one private subnet per zone, same order; they need outbound HTTPS (NAT or VPC endpoints for Secrets Manager, ECR, CloudWatch Logs, STS)',
  },
  vpcMaxAzs: { doc: 'availability zones of a created VPC' },
  vpcNatGateways: { doc: 'NAT gateways of a created VPC' },
} satisfies Record<string, InfraSetting>;

const cache = {
  cacheName: {
    defaultText: 'from `stackName` (`CdcCache` → `cdc-cache`)',
    doc: 'ElastiCache name; user IDs derive from it (unique per account and region)',
  },
  readServiceSecurityGroupIds: {
    defaultText: 'none',
    doc: 'security groups of read services allowed into the cache',
  },
  cacheMaxDataStorageGb: { defaultText: 'unlimited', doc: 'Serverless data storage limit (a cost ceiling)' },
  cacheMaxEcpuPerSecond: { defaultText: 'unlimited', doc: 'Serverless ECPU limit (a cost ceiling)' },
  cacheAuth: {
    doc: '`password`: RBAC users with Secrets Manager passwords; `iam`: IAM-enabled ElastiCache users, the workers and the Lambda sign a token for the Serverless cache with their role (`elasticache:Connect` granted) and refresh it; no password to store or rotate. Not tested against AWS',
  },
} satisfies Record<string, InfraSetting>;

const streamConsumer = {
  tableName: { doc: 'the table, as the keyspace names it (`sources: [{ dynamodb: ... }]`)' },
  tableStreamArn: { doc: 'its stream ARN (must belong to `tableName`)' },
  batchSize: { doc: 'records per invocation (1-10000)' },
  maxBatchingWindowSeconds: {
    doc: 'wait up to this long to fill a batch (0-300); every second is added staleness at low traffic',
  },
  retryAttempts: { doc: 'retries of a failing batch (0-10000; "forever" is refused)' },
  maxRecordAgeSeconds: { doc: 'give up on records older than this (60-86400)' },
  parallelizationFactor: {
    doc: 'concurrent batches per shard (1-10); records of one item stay in order',
  },
  iteratorAgeAlarmMs: { doc: 'IteratorAge alarm threshold' },
  versionAttribute: { defaultText: 'none', doc: '`CDC_CACHE_DYNAMODB_VERSION_ATTRIBUTE`' },
} satisfies Record<string, InfraSetting>;

const kafkaConsumer = {
  kafkaBrokers: { doc: 'MSK bootstrap brokers for the chosen auth (port 9098 IAM, 9096 SCRAM)' },
  kafkaTopics: { doc: 'the Debezium topics' },
  kafkaPartitionCount: {
    defaultText: 'required',
    doc: 'partitions of all those topics together: the most tasks that can ever get work',
  },
  mskClusterArn: {
    defaultText: 'required',
    doc: 'the MSK cluster: IAM resources and the lag metric derive from it',
  },
  kafkaAuth: {
    defaultText: '`iam`',
    doc: '`iam` (MSK IAM, SASL `aws-msk-iam`) or `scram` (SASL/SCRAM-SHA-512)',
  },
  kafkaScramSecretArn: {
    defaultText: 'with `scram`',
    doc: 'the `AmazonMSK_…` secret (`{"username","password"}`)',
  },
  kafkaScramSecretKmsKeyArn: {
    defaultText: 'none',
    doc: 'the customer-managed key of that secret (MSK requires one): granted `kms:Decrypt`',
  },
  kafkaGroupId: { doc: 'consumer group (`CDC_CACHE_KAFKA_GROUP_ID`)' },
  kafkaDlqTopic: { doc: 'dead-letter topic (`CDC_CACHE_DLQ_TOPIC`; create the topic beforehand)' },
  kafkaMinTasks: { doc: 'fewest tasks' },
  kafkaMaxTasks: {
    defaultText: '`kafkaPartitionCount`',
    doc: 'most tasks; a maximum above the partition count is refused',
  },
  kafkaCpu: { doc: 'task CPU units' },
  kafkaMemoryMiB: { doc: 'task memory' },
  kafkaCpuArchitecture: { doc: 'task architecture (`x86_64` if your CI cannot build ARM images)' },
  kafkaLagAlarmSeconds: { doc: 'consumer-lag alarm threshold (seconds); scaling steps derive from it' },
  kafkaImage: {
    defaultText: 'build `Dockerfile`',
    doc: 'a pre-built image instead (its entry point must be the `cdc-cache` CLI and it must have `node`)',
  },
  kafkaKeyspacePathInImage: {
    defaultText: 'none',
    doc: 'the keyspace is baked into the image at this path: no keyspace volume and init container',
  },
  mskSecurityGroupId: {
    defaultText: 'none',
    doc: "the brokers' security group: the worker's group is allowed in on 9096-9098",
  },
} satisfies Record<string, InfraSetting>;

const postgresConsumer = {
  postgresUrl: {
    defaultText: 'none',
    doc: 'enables `cdc-cache worker postgres` on Fargate (logical replication, no Kafka): `postgres://user@host:5432/db?sslmode=require`, without the password ([docs/postgres-worker.md](postgres-worker.md))',
  },
  postgresPasswordSecretArn: {
    defaultText: 'with `postgresUrl`',
    doc: 'Secrets Manager secret (plain string) with the database password, injected as `CDC_CACHE_POSTGRES_PASSWORD`',
  },
  postgresSlot: { doc: 'replication slot (created by the worker if missing)' },
  postgresPublication: {
    defaultText: "the slot's name",
    doc: 'publication (created or extended by the worker if missing)',
  },
  postgresTables: {
    defaultText: 'every table of the keyspace',
    doc: "the keyspace's tables in this database",
  },
  postgresTasks: {
    doc: 'tasks on the one slot: one streams, the others stand by and take over (never scaled on load)',
  },
  postgresSecurityGroupId: {
    defaultText: 'none',
    doc: "the database's security group: the worker's group is allowed in on 5432",
  },
  postgresCpu: { doc: 'task CPU units' },
  postgresMemoryMiB: { doc: 'task memory' },
  postgresCpuArchitecture: { doc: 'task architecture' },
  postgresImage: { defaultText: 'build `Dockerfile`', doc: 'a pre-built image instead' },
  postgresKeyspacePathInImage: {
    defaultText: 'none',
    doc: 'the keyspace is baked into the image at this path',
  },
} satisfies Record<string, InfraSetting>;

/**
 * Every setting of the CDK app, as data, in the groups docs/infra.md shows (its table is generated from
 * this; `CONTEXT_KEYS` too). The validation rules, several of which span settings, are in config.ts.
 *
 * @example
 * INFRA_SETTING_GROUPS[0].settings.stackName.doc
 */
export const INFRA_SETTING_GROUPS = [
  { title: undefined, settings: general },
  { title: '**network**', settings: network },
  { title: '**cache**', settings: cache },
  { title: '**DynamoDB stream consumer** (set both to enable)', settings: streamConsumer },
  { title: '**Kafka consumer** (set brokers and topics to enable)', settings: kafkaConsumer },
  { title: '**PostgreSQL consumer** (set the URL to enable)', settings: postgresConsumer },
] as const;

/** Every setting by key. */
export const INFRA_SETTINGS = {
  ...general,
  ...network,
  ...cache,
  ...streamConsumer,
  ...kafkaConsumer,
  ...postgresConsumer,
};

/** A setting's key. */
export type InfraSettingKey = keyof typeof INFRA_SETTINGS;

/**
 * The settings table of docs/infra.md: key, default (from `defaults` when the app has a value for it),
 * meaning.
 *
 * @example
 * formatInfraSettings(CONFIG_DEFAULTS)
 */
export function formatInfraSettings(defaults: Readonly<Partial<Record<string, unknown>>>): string {
  const lines = ['| key | default | meaning |', '| --- | --- | --- |'];
  for (const { title, settings } of INFRA_SETTING_GROUPS) {
    if (title) lines.push(`| ${title} |  |  |`);
    for (const [key, setting] of Object.entries(settings) as Array<[string, InfraSetting]>) {
      const value = defaults[key];
      const shown = value === undefined ? (setting.defaultText ?? '') : `\`${String(value)}\``;
      lines.push(`| \`${key}\` | ${shown} | ${setting.doc.replace(/\|/g, '\\|')} |`);
    }
  }
  return lines.join('\n');
}
