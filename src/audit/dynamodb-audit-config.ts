import { dynamodbWorkerConfigSchema } from '../runtimes/dynamodb-worker/dynamodb-worker-config';
import { type ConfigValues, defineOption, parsers } from '../runtimes/shared/config-schema';
import { auditOptions } from './audit-options';

/**
 * The option only `cdc-cache audit dynamodb` has: where it starts reading (its positions live in memory).
 *
 * @example
 * formatConfigReference(dynamodbAuditOnlyOptions)
 */
export const dynamodbAuditOnlyOptions = {
  auditInitialPosition: defineOption({
    env: 'CDC_CACHE_AUDIT_INITIAL_POSITION',
    flag: 'audit-initial-position',
    description:
      'audit dynamodb: where the auditor starts reading the shards open at start, latest or trim_horizon',
    parse: parsers.oneOf(['latest', 'trim_horizon'] as const),
    default: 'latest' as 'latest' | 'trim_horizon',
  }),
};

/**
 * Every option of `cdc-cache audit dynamodb`: the DynamoDB worker's own (one configuration serves both;
 * lease options are unused, the auditor keeps its positions in memory), its start, and {@link auditOptions}.
 *
 * @example
 * const resolved = resolveConfig(dynamodbAuditConfigSchema, { argv, env: process.env })
 */
export const dynamodbAuditConfigSchema = {
  ...dynamodbWorkerConfigSchema,
  ...dynamodbAuditOnlyOptions,
  ...auditOptions,
};

/** The resolved configuration of `cdc-cache audit dynamodb`. */
export type DynamoDbAuditConfig = ConfigValues<typeof dynamodbAuditConfigSchema>;
