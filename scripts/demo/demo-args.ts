/** Command-line options of `npm run demo`. */
export interface DemoArgs {
  /** How long the scripted workload runs, in seconds. */
  readonly durationS: number;
  /** Print a JSON summary as the last line. */
  readonly json: boolean;
  /** Leave the local stack running even if the demo started it. */
  readonly keepStack: boolean;
  /** Where PostgreSQL changes come from: Debezium on Kafka, or logical replication straight to the worker. */
  readonly source: 'debezium' | 'postgres';
}

const USAGE = `Usage: npm run demo -- [--duration SECONDS] [--source debezium|postgres] [--json] [--keep-stack]

  --duration SECONDS  how long the read/write workload runs (default 30)
  --source SOURCE     PostgreSQL changes through debezium (Kafka Connect, Kafka, worker kafka; default)
                      or postgres (logical replication straight to worker postgres, no Kafka)
  --json              print a JSON summary as the last line
  --keep-stack        leave Kafka, Connect and DynamoDB Local running if the demo had to start them`;

/**
 * Parse the demo's arguments; throws an error naming the bad argument.
 *
 * @example
 * parseDemoArgs(['--duration', '10', '--json']) // { durationS: 10, json: true, keepStack: false, source: 'debezium' }
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs | 'help' {
  let durationS = 30;
  let json = false;
  let keepStack = false;
  let source: DemoArgs['source'] = 'debezium';
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag === '--json') json = true;
    else if (flag === '--keep-stack') keepStack = true;
    else if (flag === '--source') {
      const raw = inline ?? argv[++index];
      if (raw !== 'debezium' && raw !== 'postgres') {
        throw new Error(`--source: '${raw}' is not debezium or postgres`);
      }
      source = raw;
    } else if (flag === '--duration') {
      const raw = inline ?? argv[++index];
      durationS = Number(raw);
      if (!Number.isFinite(durationS) || durationS <= 0 || durationS > 3600) {
        throw new Error(`--duration: '${raw}' is not a number of seconds from 1 to 3600`);
      }
    } else throw new Error(`Unknown argument '${arg}'.\n\n${USAGE}`);
  }
  return { durationS, json, keepStack, source };
}

/** The demo's usage text. */
export const DEMO_USAGE = USAGE;
