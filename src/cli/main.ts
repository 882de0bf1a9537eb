#!/usr/bin/env node
/** The `cdc-cache` command line: `worker kafka|postgres|dynamodb`, `audit kafka|dynamodb`, `explain`. Each command loads lazily. */

type CommandModule = { run(argv: string[]): Promise<number> };

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  'worker kafka': {
    summary: 'consume Debezium topics from Kafka and invalidate Redis keys',
    load: () => import('./commands/worker-kafka.js'),
  },
  'worker postgres': {
    summary: 'stream PostgreSQL logical replication (no Kafka) and invalidate Redis keys',
    load: () => import('./commands/worker-postgres.js'),
  },
  'worker dynamodb': {
    summary: 'poll a DynamoDB stream and invalidate Redis keys',
    load: () => import('./commands/worker-dynamodb.js'),
  },
  'audit kafka': {
    summary: 'measure how soon Redis is consistent with each Debezium change (read-only)',
    load: () => import('./commands/audit-kafka.js'),
  },
  'audit dynamodb': {
    summary: 'measure how soon Redis is consistent with each DynamoDB stream record (read-only)',
    load: () => import('./commands/audit-dynamodb.js'),
  },
  explain: {
    summary: 'print the actions a change event would cause, without touching Redis',
    load: () => import('./commands/explain.js'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(
    ([name, command]) => `  cdc-cache ${name.padEnd(16)} ${command.summary}`,
  );
  return `Usage:\n${lines.join('\n')}\n\nRun 'cdc-cache <command> --help' for the options of a command.`;
}

async function main(argv: string[]): Promise<number> {
  const name = argv[0] === 'worker' || argv[0] === 'audit' ? `${argv[0]} ${argv[1] ?? ''}` : (argv[0] ?? '');
  const command = COMMANDS[name];
  if (!command) {
    const asked = argv[0] === undefined || argv[0] === '--help' || argv[0] === '-h';
    (asked ? console.log : console.error)(
      asked ? usage() : `Unknown command '${argv.join(' ')}'.\n\n${usage()}`,
    );
    return asked ? 0 : 2;
  }
  const module = await command.load();
  return module.run(argv.slice(name.split(' ').length));
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
