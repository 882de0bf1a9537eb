import { CONFIG_DEFAULTS } from '../infra/lib/config';
import { formatInfraSettings } from '../infra/lib/settings';
import { auditOptions } from '../src/audit/audit-options';
import { dynamodbAuditConfigSchema, dynamodbAuditOnlyOptions } from '../src/audit/dynamodb-audit-config';
import { kafkaAuditConfigSchema, kafkaAuditOnlyOptions } from '../src/audit/kafka-audit-config';
import { explainConfigSchema } from '../src/cli/commands/explain-config';
import { lambdaConfigSchema } from '../src/lambda/lambda-config';
import { dynamodbWorkerConfigSchema } from '../src/runtimes/dynamodb-worker/dynamodb-worker-config';
import { kafkaWorkerConfigSchema } from '../src/runtimes/kafka-worker/kafka-worker-config';
import { postgresWorkerConfigSchema } from '../src/runtimes/postgres-worker/postgres-worker-config';
import { formatConfigReference, formatOptionCatalog } from '../src/runtimes/shared/config-docs';
import type { ConfigSchema } from '../src/runtimes/shared/config-schema';

/** Every runtime and the options it reads: the catalogue's "read by" column comes from here. */
export const RUNTIME_SCHEMAS: Readonly<Record<string, ConfigSchema>> = {
  'worker kafka': kafkaWorkerConfigSchema,
  'worker postgres': postgresWorkerConfigSchema,
  'worker dynamodb': dynamodbWorkerConfigSchema,
  lambda: lambdaConfigSchema,
  'audit kafka': kafkaAuditConfigSchema,
  'audit dynamodb': dynamodbAuditConfigSchema,
  explain: explainConfigSchema,
};

/** A generated Markdown section: the text between `<!-- config:NAME ... -->` and `<!-- /config:NAME -->`. */
interface GeneratedSection {
  readonly name: string;
  readonly render: () => string;
}

const table = (schema: ConfigSchema, options?: { flags?: boolean }) => () =>
  formatConfigReference(schema, options);

/** Every document with generated configuration sections (`npm run docs:config` rewrites them). */
export const CONFIG_DOCUMENTS: Readonly<Record<string, readonly GeneratedSection[]>> = {
  'README.md': [
    { name: 'kafka-worker', render: table(kafkaWorkerConfigSchema) },
    { name: 'postgres-worker', render: table(postgresWorkerConfigSchema) },
    { name: 'dynamodb-worker', render: table(dynamodbWorkerConfigSchema) },
    // `cdc-cache audit` takes its source's worker options plus these.
    {
      name: 'audit',
      render: table({ ...auditOptions, ...kafkaAuditOnlyOptions, ...dynamodbAuditOnlyOptions }),
    },
  ],
  'docs/kafka-worker.md': [{ name: 'kafka-worker', render: table(kafkaWorkerConfigSchema) }],
  'docs/dynamodb.md': [
    { name: 'lambda', render: table(lambdaConfigSchema, { flags: false }) },
    { name: 'dynamodb-worker', render: table(dynamodbWorkerConfigSchema) },
  ],
  'docs/infra.md': [{ name: 'infra-settings', render: () => formatInfraSettings(CONFIG_DEFAULTS) }],
  'docs/configuration.md': [{ name: 'catalog', render: () => formatOptionCatalog(RUNTIME_SCHEMAS) }],
};

/**
 * Replace the text between each section's markers with its generated table.
 *
 * @example
 * renderConfigSections(readme, CONFIG_DOCUMENTS['README.md']) // the README with every table up to date
 */
export function renderConfigSections(markdown: string, sections: readonly GeneratedSection[]): string {
  let result = markdown;
  for (const { name, render } of sections) {
    // The opening marker may carry a note after the name (`<!-- config:NAME (generated from ...) -->`).
    const open = new RegExp(`<!-- config:${name}( [^>]*)? -->`).exec(result);
    const close = `<!-- /config:${name} -->`;
    const end = result.indexOf(close);
    if (!open || end < open.index)
      throw new Error(`markers <!-- config:${name} --> ... ${close} are missing`);
    const start = open.index + open[0].length;
    result = `${result.slice(0, start)}\n${render()}\n${result.slice(end)}`;
  }
  return result;
}
