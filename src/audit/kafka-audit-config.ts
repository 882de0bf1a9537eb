import { kafkaWorkerConfigSchema } from '../runtimes/kafka-worker/kafka-worker-config';
import { type ConfigValues, defineOption, parsers } from '../runtimes/shared/config-schema';
import { auditOptions } from './audit-options';

/**
 * The options only `cdc-cache audit kafka` has: its own consumer group and where that group starts.
 *
 * @example
 * formatConfigReference(kafkaAuditOnlyOptions)
 */
export const kafkaAuditOnlyOptions = {
  auditGroupId: defineOption({
    env: 'CDC_CACHE_AUDIT_GROUP_ID',
    flag: 'audit-group-id',
    description:
      "audit kafka: the auditor's own consumer group (never the workers' CDC_CACHE_KAFKA_GROUP_ID)",
    parse: parsers.string,
    default: 'cdc-cache-audit',
  }),
  auditFromBeginning: defineOption({
    env: 'CDC_CACHE_AUDIT_FROM_BEGINNING',
    flag: 'audit-from-beginning',
    description:
      "audit kafka: where the auditor's new group starts, the earliest offset (true) or the latest",
    parse: parsers.boolean,
    default: false,
  }),
};

/**
 * Every option of `cdc-cache audit kafka`: the Kafka worker's own (one configuration serves both), its
 * own consumer group, and {@link auditOptions}. The worker's group id is read only to refuse it.
 *
 * @example
 * const resolved = resolveConfig(kafkaAuditConfigSchema, { argv, env: process.env })
 */
export const kafkaAuditConfigSchema = {
  ...kafkaWorkerConfigSchema,
  ...kafkaAuditOnlyOptions,
  ...auditOptions,
};

/** The resolved configuration of `cdc-cache audit kafka`. */
export type KafkaAuditConfig = ConfigValues<typeof kafkaAuditConfigSchema>;
