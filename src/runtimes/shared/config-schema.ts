import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CdcCacheError } from '../../errors';
import { maskUrlCredentials } from '../../observability/mask-url-credentials';

/** How an option is written and documented; the parse function turns the raw text into its value. */
export interface OptionSpec<T> {
  /** Environment variable, e.g. `CDC_CACHE_KAFKA_BROKERS`. */
  readonly env: string;
  /** Command-line flag without the dashes, e.g. `kafka-brokers`. */
  readonly flag: string;
  /** One line for `--help` and the configuration reference. */
  readonly description: string;
  /** Turn the raw text (flag, env or file) into the value; throw an Error saying what is expected. */
  readonly parse: (raw: string) => T;
  /** The value when the option is not given. */
  readonly default?: T;
  /** Fail when the option is given nowhere. */
  readonly required?: boolean;
  /** Never print the value (passwords). */
  readonly secret?: boolean;
  /** A flag that takes no value (`--ssl` means `--ssl=true`). */
  readonly switch?: boolean;
}

/** An option of a {@link ConfigSchema}; `T` includes `undefined` when it has neither default nor `required`. */
export interface ConfigOption<T> extends OptionSpec<T> {
  /** Phantom field carrying the value type. */
  readonly __value?: T;
}

/** Options by name (the name is the key of the config file and of the resolved values). */
export type ConfigSchema = Readonly<Record<string, ConfigOption<unknown>>>;

/** The resolved values of a schema. */
export type ConfigValues<Schema extends ConfigSchema> = {
  readonly [Name in keyof Schema]: Schema[Name] extends ConfigOption<infer T> ? T : never;
};

/**
 * Define one option. With a `default` or `required: true` its value is always set.
 *
 * @example
 * const port = defineOption({ env: 'CDC_CACHE_HTTP_PORT', flag: 'http-port', description: 'health port', parse: parsers.integer({ min: 0, max: 65535 }), default: 9464 })
 */
export function defineOption<T>(spec: OptionSpec<T> & { default: T }): ConfigOption<T>;
export function defineOption<T>(spec: OptionSpec<T> & { required: true }): ConfigOption<T>;
export function defineOption<T>(spec: OptionSpec<T>): ConfigOption<T | undefined>;
export function defineOption<T>(spec: OptionSpec<T>): ConfigOption<T | undefined> {
  return spec;
}

/**
 * Parsers for option values; each throws an Error that says what it expected.
 *
 * @example
 * parsers.list('a:9092, b:9092') // ['a:9092', 'b:9092']
 */
export const parsers = {
  string: (raw: string): string => {
    if (raw.trim() === '') throw new Error('expected a non-empty value');
    return raw;
  },
  integer:
    ({ min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {}) =>
    (raw: string): number => {
      const value = Number(raw.trim());
      if (!/^-?\d+$/.test(raw.trim()) || value < min || value > max) {
        throw new Error(`expected an integer from ${min} to ${max}, got '${raw}'`);
      }
      return value;
    },
  boolean: (raw: string): boolean => {
    const text = raw.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(text)) return true;
    if (['false', '0', 'no', 'off'].includes(text)) return false;
    throw new Error(`expected true or false, got '${raw}'`);
  },
  list: (raw: string): string[] => {
    const items = raw
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    if (items.length === 0) throw new Error('expected a comma-separated list');
    return items;
  },
  oneOf:
    <const Choice extends string>(choices: readonly Choice[]) =>
    (raw: string): Choice => {
      const text = raw.trim().toLowerCase();
      const choice = choices.find((candidate) => candidate === text);
      if (choice === undefined) throw new Error(`expected one of ${choices.join(', ')}, got '${raw}'`);
      return choice;
    },
  regex: (raw: string): RegExp => {
    try {
      return new RegExp(raw);
    } catch (error) {
      throw new Error(`expected a regular expression: ${(error as Error).message}`);
    }
  },
  url:
    (protocols: readonly string[]) =>
    (raw: string): string => {
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error(
          `expected a URL (${protocols.join(' or ')}; percent-encode special characters in a password), got '${maskUrlCredentials(raw, { whole: true })}'`,
        );
      }
      if (!protocols.includes(url.protocol)) {
        throw new Error(`expected a ${protocols.join(' or ')} URL, got '${url.protocol}'`);
      }
      return raw;
    },
};

/** Where to read configuration from. */
export interface ConfigSources {
  /** Command-line arguments after the command name. */
  readonly argv?: readonly string[];
  /** Environment variables (default: none). */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The outcome of {@link resolveConfig}: values, or a request for `--help`. */
export type ResolvedConfig<Schema extends ConfigSchema> =
  | { readonly help: true }
  | { readonly help: false; readonly values: ConfigValues<Schema> };

/** The flag and env variable of the optional config file, shared by every runtime. */
export const CONFIG_FILE_OPTION = {
  env: 'CDC_CACHE_CONFIG',
  flag: 'config',
  description:
    'JSON or YAML file of options by name (as in this list, camelCase); flags and env variables override it',
} as const;

/**
 * Resolve options from, in order of precedence: flags, env variables, the config file (`--config` /
 * `CDC_CACHE_CONFIG`), defaults. Every problem is collected and thrown at once as `CDC_CONFIG_INVALID`,
 * each naming the option, its flag and env variable.
 *
 * @example
 * const resolved = resolveConfig(schema, { argv: process.argv.slice(3), env: process.env })
 * if (resolved.help) console.log(formatHelp(schema, { usage: 'cdc-cache worker kafka [options]' }))
 */
export function resolveConfig<Schema extends ConfigSchema>(
  schema: Schema,
  sources: ConfigSources,
): ResolvedConfig<Schema> {
  const env = sources.env ?? {};
  const problems: string[] = [];
  const flags = new Map<string, string>();
  const byFlag = new Map(
    Object.entries(schema).map(([name, option]) => [option.flag, [name, option] as const]),
  );
  const argv = sources.argv ?? [];
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') return { help: true };
    if (!argument.startsWith('--')) {
      problems.push(`unexpected argument '${argument}'`);
      continue;
    }
    const equals = argument.indexOf('=');
    const flag = argument.slice(2, equals < 0 ? undefined : equals);
    const entry = byFlag.get(flag);
    if (flag !== CONFIG_FILE_OPTION.flag && !entry) {
      problems.push(`unknown flag --${flag}`);
      continue;
    }
    let raw: string | undefined;
    if (equals >= 0) raw = argument.slice(equals + 1);
    else if (entry?.[1].switch && (argv[index + 1] === undefined || argv[index + 1]!.startsWith('--')))
      raw = 'true';
    else raw = argv[++index];
    if (raw === undefined) problems.push(`--${flag} needs a value`);
    else flags.set(flag, raw);
  }

  const file = readConfigFile(flags.get(CONFIG_FILE_OPTION.flag) ?? env[CONFIG_FILE_OPTION.env], problems);
  for (const name of Object.keys(file)) {
    if (!(name in schema)) problems.push(`config file: unknown option '${name}'`);
  }

  const values: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(schema)) {
    const fromFlag = flags.get(option.flag);
    const fromEnv = env[option.env];
    const fromFile = fileValueText(file[name]);
    const [raw, origin] =
      fromFlag !== undefined
        ? [fromFlag, `--${option.flag}`]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, option.env]
          : fromFile !== undefined
            ? [fromFile, `config file '${name}'`]
            : [undefined, ''];
    if (raw === undefined) {
      if (option.required && option.default === undefined) {
        problems.push(`${name} is required: set ${option.env} or --${option.flag}`);
      }
      values[name] = option.default;
      continue;
    }
    try {
      values[name] = option.parse(raw);
    } catch (error) {
      problems.push(`${name} (${origin}): ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new CdcCacheError('CDC_CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      details: { problems },
    });
  }
  return { help: false, values: values as ConfigValues<Schema> };
}

/**
 * `--help` text generated from the schema: every option with its flag, env variable and default.
 *
 * @example
 * console.log(formatHelp(kafkaWorkerConfigSchema, { usage: 'cdc-cache worker kafka [options]' }))
 */
export function formatHelp(schema: ConfigSchema, { usage }: { usage: string }): string {
  const rows = [
    ...Object.values(schema).map((option) => ({
      left: `--${option.flag}${option.switch ? '' : ' <value>'}`,
      option,
    })),
    { left: `--${CONFIG_FILE_OPTION.flag} <file>`, option: { ...CONFIG_FILE_OPTION } as OptionSpec<unknown> },
  ];
  const width = Math.max(...rows.map((row) => row.left.length)) + 2;
  const lines = rows.map(({ left, option }) => {
    const notes = [`env ${option.env}`, option.required ? 'required' : `default: ${formatDefault(option)}`];
    return `  ${left.padEnd(width)}${option.description}\n  ${' '.repeat(width)}(${notes.join('; ')})`;
  });
  return `Usage: ${usage}\n\nOptions (flags override env variables, which override the config file):\n${lines.join('\n')}\n  ${'--help'.padEnd(width)}show this help`;
}

/**
 * The configuration reference as a Markdown table (for the docs).
 *
 * @example
 * writeFileSync('docs/config.md', formatConfigReference(kafkaWorkerConfigSchema))
 */
export function formatConfigReference(schema: ConfigSchema): string {
  const header = '| env | flag | default | description |\n| --- | --- | --- | --- |';
  const rows = Object.values(schema).map(
    (option) =>
      `| \`${option.env}\` | \`--${option.flag}\` | ${option.required ? '**required**' : `\`${formatDefault(option)}\``} | ${option.description.replace(/\|/g, '\\|')} |`,
  );
  return [header, ...rows].join('\n');
}

/**
 * The values with secrets masked, for a startup log line.
 *
 * @example
 * logger.info({ config: redactConfig(schema, values) }, 'starting')
 */
export function redactConfig<Schema extends ConfigSchema>(
  schema: Schema,
  values: ConfigValues<Schema>,
): Record<string, unknown> {
  const shown: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(schema)) {
    const value = (values as Record<string, unknown>)[name];
    shown[name] =
      value === undefined
        ? undefined
        : option.secret
          ? '***'
          : typeof value === 'string'
            ? maskUrlCredentials(value, { whole: true })
            : value instanceof RegExp
              ? value.source
              : value;
  }
  return shown;
}

function formatDefault(option: OptionSpec<unknown>): string {
  const value = option.default;
  if (value === undefined) return 'none';
  if (Array.isArray(value)) return value.join(',');
  if (value instanceof RegExp) return value.source;
  return String(value);
}

function readConfigFile(path: string | undefined, problems: string[]): Record<string, unknown> {
  if (path === undefined || path === '') return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    problems.push(`config file ${path}: ${(error as Error).message}`);
    return {};
  }
  try {
    const data: unknown = extname(path).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
    if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
      return data as Record<string, unknown>;
    }
    problems.push(`config file ${path}: expected an object of options by name`);
  } catch (error) {
    problems.push(`config file ${path}: ${(error as Error).message}`);
  }
  return {};
}

function fileValueText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(',');
  return String(value);
}
