/** Command-line options of `npm run demo`. */
export interface DemoArgs {
  /** How long the scripted workload runs, in seconds. */
  readonly durationS: number;
  /** Print a JSON summary as the last line. */
  readonly json: boolean;
  /** Leave the local stack running even if the demo started it. */
  readonly keepStack: boolean;
}

const USAGE = `Usage: npm run demo -- [--duration SECONDS] [--json] [--keep-stack]

  --duration SECONDS  how long the read/write workload runs (default 30)
  --json              print a JSON summary as the last line
  --keep-stack        leave Kafka, Connect and DynamoDB Local running if the demo had to start them`;

/**
 * Parse the demo's arguments; throws an error naming the bad argument.
 *
 * @example
 * parseDemoArgs(['--duration', '10', '--json']) // { durationS: 10, json: true, keepStack: false }
 */
export function parseDemoArgs(argv: readonly string[]): DemoArgs | 'help' {
  let durationS = 30;
  let json = false;
  let keepStack = false;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const [flag, inline] = arg.split('=', 2) as [string, string | undefined];
    if (flag === '--help' || flag === '-h') return 'help';
    if (flag === '--json') json = true;
    else if (flag === '--keep-stack') keepStack = true;
    else if (flag === '--duration') {
      const raw = inline ?? argv[++index];
      durationS = Number(raw);
      if (!Number.isFinite(durationS) || durationS <= 0 || durationS > 3600) {
        throw new Error(`--duration: '${raw}' is not a number of seconds from 1 to 3600`);
      }
    } else throw new Error(`Unknown argument '${arg}'.\n\n${USAGE}`);
  }
  return { durationS, json, keepStack };
}

/** The demo's usage text. */
export const DEMO_USAGE = USAGE;
