import { auditOptions } from '../src/audit/audit-options';
import { dynamodbAuditOnlyOptions } from '../src/audit/dynamodb-audit-config';
import { kafkaAuditOnlyOptions } from '../src/audit/kafka-audit-config';
import { dynamodbWorkerConfigSchema } from '../src/runtimes/dynamodb-worker/dynamodb-worker-config';
import { kafkaWorkerConfigSchema } from '../src/runtimes/kafka-worker/kafka-worker-config';
import { postgresWorkerConfigSchema } from '../src/runtimes/postgres-worker/postgres-worker-config';
import { type ConfigSchema, formatConfigReference } from '../src/runtimes/shared/config-schema';

/** The README sections generated from configuration schemas, by marker name. */
export const README_CONFIG_SECTIONS: Readonly<Record<string, ConfigSchema>> = {
  'kafka-worker': kafkaWorkerConfigSchema,
  'postgres-worker': postgresWorkerConfigSchema,
  'dynamodb-worker': dynamodbWorkerConfigSchema,
  // `cdc-cache audit` takes its source's worker options plus these.
  audit: { ...auditOptions, ...kafkaAuditOnlyOptions, ...dynamodbAuditOnlyOptions },
};

/**
 * Replace the text between `<!-- config:NAME -->` and `<!-- /config:NAME -->` with the generated table.
 *
 * @example
 * renderConfigSections(readme) // the README with every configuration table up to date
 */
export function renderConfigSections(markdown: string): string {
  let result = markdown;
  for (const [name, schema] of Object.entries(README_CONFIG_SECTIONS)) {
    const open = `<!-- config:${name} -->`;
    const close = `<!-- /config:${name} -->`;
    const start = result.indexOf(open);
    const end = result.indexOf(close);
    if (start < 0 || end < start) throw new Error(`README.md: markers ${open} ... ${close} are missing`);
    result = `${result.slice(0, start + open.length)}\n${formatConfigReference(schema)}\n${result.slice(end)}`;
  }
  return result;
}
