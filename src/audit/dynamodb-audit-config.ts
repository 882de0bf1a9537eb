import { dynamodbWorkerConfigSchema } from '../runtimes/dynamodb-worker/dynamodb-worker-config';
import { type ConfigValues, defineOption, parsers } from '../runtimes/shared/config-schema';
import { auditOptions } from './audit-options';

/**
 * Every option of `cdc-cache audit dynamodb`: the DynamoDB worker's own (one configuration serves both;
 * lease and checkpoint options are unused, the auditor keeps its positions in memory) and {@link auditOptions}.
 *
 * @example
 * const resolved = resolveConfig(dynamodbAuditConfigSchema, { argv, env: process.env })
 */
export const dynamodbAuditConfigSchema = {
  ...dynamodbWorkerConfigSchema,
  auditInitialPosition: defineOption({
    env: 'CDC_CACHE_AUDIT_INITIAL_POSITION',
    flag: 'audit-initial-position',
    description: 'Where the auditor starts reading the shards open at start: latest or trim_horizon',
    parse: parsers.oneOf(['latest', 'trim_horizon'] as const),
    default: 'latest' as 'latest' | 'trim_horizon',
  }),
  ...auditOptions,
};

/** The resolved configuration of `cdc-cache audit dynamodb`. */
export type DynamoDbAuditConfig = ConfigValues<typeof dynamodbAuditConfigSchema>;
