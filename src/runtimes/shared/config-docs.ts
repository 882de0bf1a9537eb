import type { OptionParser } from './config-parsers';
import { CONFIG_FILE_OPTION, type ConfigSchema, type OptionSpec } from './config-schema';

/**
 * The option's value type as documented: its parser's type (`integer 1..256`), `, secret` when it is never
 * printed.
 *
 * @example
 * optionType(cacheTargetOptions.redisPassword) // 'string, secret'
 */
export function optionType(option: OptionSpec<unknown>): string {
  const type = (option.parse as OptionParser<unknown>).type ?? 'string';
  return option.secret ? `${type}, secret` : type;
}

/**
 * `--help` text generated from the schema: every option with its flag, env variable, type and default.
 *
 * @example
 * console.log(formatHelp(kafkaWorkerConfigSchema, { usage: 'cdc-cache worker kafka [options]' }))
 */
export function formatHelp(
  schema: ConfigSchema,
  { usage, intro, configFile = true }: { usage: string; intro?: string; configFile?: boolean },
): string {
  const rows = [
    ...Object.values(schema).map((option) => ({
      left: `--${option.flag}${option.switch ? '' : ' <value>'}`,
      option,
    })),
    ...(configFile
      ? [{ left: `--${CONFIG_FILE_OPTION.flag} <file>`, option: CONFIG_FILE_OPTION as OptionSpec<unknown> }]
      : []),
  ];
  const width = Math.max(...rows.map((row) => row.left.length)) + 2;
  const lines = rows.map(({ left, option }) => {
    const notes = [
      ...(option.env ? [`env ${option.env}`] : []),
      option === (CONFIG_FILE_OPTION as OptionSpec<unknown>) ? 'file' : optionType(option),
      option.required ? 'required' : `default: ${formatDefault(option)}`,
    ];
    return `  ${left.padEnd(width)}${option.description}\n  ${' '.repeat(width)}(${notes.join('; ')})`;
  });
  const fromEnv = Object.values(schema).some((option) => option.env !== undefined);
  const precedence = configFile
    ? ' (flags override env variables, which override the config file)'
    : fromEnv
      ? ' (flags override env variables)'
      : '';
  return `Usage: ${usage}\n${intro ? `\n${intro}\n` : ''}\nOptions${precedence}:\n${lines.join('\n')}\n  ${'--help'.padEnd(width)}show this help`;
}

/**
 * The configuration reference of one runtime as a Markdown table; `flags: false` for a runtime configured
 * by its environment alone (the Lambda).
 *
 * @example
 * formatConfigReference(kafkaWorkerConfigSchema) // '| env | flag | type | default | description |\n...'
 */
export function formatConfigReference(schema: ConfigSchema, { flags = true } = {}): string {
  const columns = ['env', ...(flags ? ['flag'] : []), 'type', 'default', 'description'];
  const rows = Object.values(schema).map((option) =>
    [
      option.env ? `\`${option.env}\`` : '',
      ...(flags ? [`\`--${option.flag}\``] : []),
      markdownCell(optionType(option)),
      option.required ? '**required**' : `\`${markdownCell(formatDefault(option))}\``,
      markdownCell(option.description),
    ].join(' | '),
  );
  return [
    `| ${columns.join(' | ')} |`,
    `|${columns.map(() => ' --- |').join('')}`,
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}

/**
 * Every option of every runtime in one Markdown table, one row per env variable, with the runtimes that
 * read it: the answer to "what does `CDC_CACHE_X` do, and who reads it?".
 *
 * @example
 * formatOptionCatalog({ 'worker kafka': kafkaWorkerConfigSchema, 'lambda': lambdaConfigSchema })
 */
export function formatOptionCatalog(runtimes: Readonly<Record<string, ConfigSchema>>): string {
  const byEnv = new Map<string, { option: OptionSpec<unknown>; runtimes: string[] }>();
  for (const [runtime, schema] of Object.entries(runtimes)) {
    for (const option of Object.values(schema)) {
      const key = option.env ?? `--${option.flag}`;
      const entry = byEnv.get(key) ?? { option, runtimes: [] };
      if (!entry.runtimes.includes(runtime)) entry.runtimes.push(runtime);
      byEnv.set(key, entry);
    }
  }
  const rows = [...byEnv.entries()]
    .sort(([left], [right]) => left.localeCompare(right))
    .map(
      ([, { option, runtimes: users }]) =>
        `| ${option.env ? `\`${option.env}\`` : ''} | \`--${option.flag}\` | ${markdownCell(optionType(option))} | ${users.join(', ')} | ${markdownCell(option.description)} |`,
    );
  return ['| env | flag | type | read by | description |', '| --- | --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

/** The default as `--help` and the docs print it. */
export function formatDefault(option: OptionSpec<unknown>): string {
  const value = option.default;
  if (value === undefined) return 'none';
  if (Array.isArray(value)) return value.join(',');
  if (value instanceof RegExp) return value.source;
  return String(value);
}

function markdownCell(text: string): string {
  return text.replace(/\|/g, '\\|');
}
