import { cacheTargetOptions, dynamodbRecordOptions } from '../../runtimes/shared/common-options';
import { type ConfigValues, defineOption, parsers } from '../../runtimes/shared/config-schema';

/**
 * Every option of `cdc-cache explain`, as data (its `--help` is generated from it). The keyspace, prefix,
 * table and version attribute are the workers' own options; the rest are flags only.
 *
 * @example
 * const resolved = resolveConfig(explainConfigSchema, { argv, env: process.env, configFile: false })
 */
export const explainConfigSchema = {
  keyspace: cacheTargetOptions.keyspace,
  // A keyspace module is code: explain runs one named by the environment only with this flag.
  allowCodeKeyspace: defineOption({
    flag: 'allow-code-keyspace',
    description: 'Run a .js/.ts keyspace named by CDC_CACHE_KEYSPACE (with --keyspace it is run anyway)',
    parse: parsers.boolean,
    default: false,
    switch: true,
  }),
  source: defineOption({
    flag: 'source',
    description: "Input kind (default: detected: Records[] or a 'dynamodb' field means dynamodb)",
    parse: parsers.oneOf(['debezium', 'dynamodb'] as const),
  }),
  topic: defineOption({
    flag: 'topic',
    description: 'Kafka topic of a Debezium value (names the table of a flattened message)',
    parse: parsers.string,
  }),
  table: dynamodbRecordOptions.table,
  versionAttribute: dynamodbRecordOptions.versionAttribute,
  // `--prefix` was explain's own name for it before the options were shared.
  keyPrefix: { ...cacheTargetOptions.keyPrefix, aliases: ['prefix'] },
  input: defineOption({
    flag: 'input',
    description: 'Read the input from this file instead of stdin',
    parse: parsers.string,
  }),
};

/** The resolved options of `cdc-cache explain`. */
export type ExplainConfig = ConfigValues<typeof explainConfigSchema>;
