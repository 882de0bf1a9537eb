import { formatHelp } from '../../src/runtimes/shared/config-docs';
import {
  type ConfigValues,
  defineOption,
  parsers,
  resolveConfig,
  typed,
} from '../../src/runtimes/shared/config-schema';

/** Every option of `npm run demo`, declared as the runtimes' are; its usage text is generated from it. */
export const demoOptions = {
  durationS: defineOption({
    flag: 'duration',
    description: 'How long the read/write workload runs, in seconds',
    parse: typed('seconds, up to 3600', (raw: string): number => {
      const seconds = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(seconds) || seconds <= 0 || seconds > 3600) {
        throw new Error(`'${raw}' is not a number of seconds from 1 to 3600`);
      }
      return seconds;
    }),
    default: 30,
  }),
  source: defineOption({
    flag: 'source',
    description:
      'Where PostgreSQL changes come from: debezium (Kafka Connect, Kafka, worker kafka) or postgres (logical replication straight to worker postgres, no Kafka)',
    parse: parsers.oneOf(['debezium', 'postgres'] as const),
    default: 'debezium',
  }),
  json: defineOption({
    flag: 'json',
    description: 'Print a JSON summary as the last line',
    parse: parsers.boolean,
    default: false,
    switch: true,
  }),
  keepStack: defineOption({
    flag: 'keep-stack',
    description: 'Leave Kafka, Connect and DynamoDB Local running if the demo had to start them',
    parse: parsers.boolean,
    default: false,
    switch: true,
  }),
};

/** Command-line options of `npm run demo`. */
export type DemoArgs = ConfigValues<typeof demoOptions>;

/** The demo's usage text. */
export const DEMO_USAGE = formatHelp(demoOptions, { usage: 'npm run demo -- [options]', configFile: false });

/**
 * Parse the demo's arguments; throws a `CDC_CONFIG_INVALID` error naming the bad argument.
 *
 * @example
 * parseDemoArgs(['--duration', '10', '--json']) // { durationS: 10, json: true, keepStack: false, source: 'debezium' }
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs | 'help' {
  const resolved = resolveConfig(demoOptions, { argv, configFile: false });
  return resolved.help ? 'help' : resolved.values;
}
