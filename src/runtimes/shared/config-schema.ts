import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { CdcCacheError } from '../../errors';
import { maskUrlCredentials } from '../../observability/mask-url-credentials';
import type { OptionParser } from './config-parsers';

export { type OptionParser, parsers, typed } from './config-parsers';

/** How an option is written and documented; the parse function turns the raw text into its value. */
export interface OptionSpec<T> {
  /** Environment variable, e.g. `CDC_CACHE_KAFKA_BROKERS`; none for a flag that must be typed each time. */
  readonly env?: string;
  /** Command-line flag without the dashes, e.g. `kafka-brokers`. */
  readonly flag: string;
  /** One line for `--help` and the configuration reference. */
  readonly description: string;
  /** Turn the raw text (flag, env or file) into the value; throw an Error saying what is expected. */
  readonly parse: OptionParser<T>;
  /** Other flags accepted for it (kept for compatibility), e.g. `prefix` for `key-prefix`. */
  readonly aliases?: readonly string[];
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
 * The same option (same env variable, flag, parser and doc), required in a runtime that cannot do without it.
 *
 * @example
 * const lambdaSchema = { redisUrl: requiredIn(cacheTargetOptions.redisUrl) }
 */
export function requiredIn<T>(option: ConfigOption<T>): ConfigOption<NonNullable<T>> {
  const { default: _default, ...rest } = option;
  return { ...rest, required: true } as ConfigOption<NonNullable<T>>;
}

/**
 * The same option, optional and without default in a runtime where leaving it unset means "off".
 *
 * @example
 * const lambdaSchema = { deadLetterTopic: optionalIn(kafkaWorkerConfigSchema.deadLetterTopic) }
 */
export function optionalIn<T>(option: ConfigOption<T>): ConfigOption<T | undefined> {
  const { default: _default, required: _required, ...rest } = option;
  return rest as ConfigOption<T | undefined>;
}

/**
 * The same option with another default in one runtime (e.g. the Kafka client id).
 *
 * @example
 * const lambdaSchema = { clientId: withDefault(kafkaWorkerConfigSchema.clientId, 'cdc-cache-lambda') }
 */
export function withDefault<T>(option: ConfigOption<T>, value: NonNullable<T>): ConfigOption<NonNullable<T>> {
  return { ...option, default: value } as ConfigOption<NonNullable<T>>;
}

/** Where to read configuration from. */
export interface ConfigSources {
  /** Command-line arguments after the command name; leave out for a runtime without flags (the Lambda). */
  readonly argv?: readonly string[];
  /** Environment variables (default: none). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Whether `--config` / `CDC_CACHE_CONFIG` names a file of options (default true). */
  readonly configFile?: boolean;
}

/** Where an option's value came from. */
export type OptionSource = 'flag' | 'env' | 'file' | 'default';

/** The outcome of {@link resolveConfig}: values (and where each came from), or a request for `--help`. */
export type ResolvedConfig<Schema extends ConfigSchema> =
  | { readonly help: true }
  | {
      readonly help: false;
      readonly values: ConfigValues<Schema>;
      readonly sources: { readonly [Name in keyof Schema]: OptionSource };
    };

/** The flag and env variable of the optional config file, shared by every runtime. */
export const CONFIG_FILE_OPTION = {
  env: 'CDC_CACHE_CONFIG',
  flag: 'config',
  description:
    'JSON or YAML file of options by name (as in this list, camelCase); flags and env variables override it',
  parse: (raw: string) => raw,
} as const;

/**
 * Resolve options from, in order of precedence: flags, env variables, the config file (`--config` /
 * `CDC_CACHE_CONFIG`), defaults. Every problem is collected and thrown at once as `CDC_CONFIG_INVALID`,
 * each naming the option and where its value came from (flag, env variable or config file).
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
  const flags = readFlags(schema, sources.argv ?? [], sources.configFile !== false, problems);
  if (flags === 'help') return { help: true };

  const file =
    sources.configFile === false
      ? {}
      : readConfigFile(flags.get(CONFIG_FILE_OPTION.flag) ?? env[CONFIG_FILE_OPTION.env], problems);
  for (const name of Object.keys(file)) {
    if (!(name in schema)) problems.push(`config file: unknown option '${name}'`);
  }

  const values: Record<string, unknown> = {};
  const origins: Record<string, OptionSource> = {};
  for (const [name, option] of Object.entries(schema)) {
    const fromFlag = flags.get(option.flag);
    const fromEnv = option.env === undefined ? undefined : env[option.env];
    const fromFile = fileValueText(file[name]);
    if (fromFile === NESTED) {
      problems.push(`${name} (config file '${name}'): expected a value or a list of values, got an object`);
      continue;
    }
    const [raw, source, origin]: [string | undefined, OptionSource, string] =
      fromFlag !== undefined
        ? [fromFlag, 'flag', `--${option.flag}`]
        : fromEnv !== undefined && fromEnv !== ''
          ? [fromEnv, 'env', option.env!]
          : fromFile !== undefined
            ? [fromFile, 'file', `config file '${name}'`]
            : [undefined, 'default', ''];
    origins[name] = source;
    if (raw === undefined) {
      if (option.required && option.default === undefined) {
        const where = [option.env, sources.argv === undefined ? undefined : `--${option.flag}`];
        problems.push(`${name} is required: set ${where.filter(Boolean).join(' or ')}`);
      }
      values[name] = option.default;
      continue;
    }
    try {
      values[name] = option.parse(raw);
    } catch (error) {
      // A parser may quote the value it refused: never a secret's.
      const problem = option.secret ? 'invalid value (a secret: not shown)' : (error as Error).message;
      problems.push(`${name} (${origin}): ${problem}`);
    }
  }
  if (problems.length > 0) {
    throw new CdcCacheError('CDC_CONFIG_INVALID', `Invalid configuration:\n  - ${problems.join('\n  - ')}`, {
      details: { problems },
    });
  }
  return {
    help: false,
    values: values as ConfigValues<Schema>,
    sources: origins as { readonly [Name in keyof Schema]: OptionSource },
  };
}

/** The flags given, by their canonical name (aliases resolved); `'help'` for `--help`/`-h`. */
function readFlags(
  schema: ConfigSchema,
  argv: readonly string[],
  configFile: boolean,
  problems: string[],
): Map<string, string> | 'help' {
  const flags = new Map<string, string>();
  const byFlag = new Map<string, OptionSpec<unknown>>();
  for (const option of Object.values(schema)) {
    for (const flag of [option.flag, ...(option.aliases ?? [])]) byFlag.set(flag, option);
  }
  for (let index = 0; index < argv.length; index++) {
    const argument = argv[index]!;
    if (argument === '--help' || argument === '-h') return 'help';
    if (!argument.startsWith('--')) {
      problems.push(`unexpected argument '${argument}'`);
      continue;
    }
    const equals = argument.indexOf('=');
    const flag = argument.slice(2, equals < 0 ? undefined : equals);
    const option = byFlag.get(flag);
    if ((flag !== CONFIG_FILE_OPTION.flag || !configFile) && !option) {
      problems.push(`unknown flag --${flag}`);
      continue;
    }
    let raw: string | undefined;
    if (equals >= 0) raw = argument.slice(equals + 1);
    else if (option?.switch && (argv[index + 1] === undefined || argv[index + 1]!.startsWith('--')))
      raw = 'true';
    else raw = argv[++index];
    if (raw === undefined) problems.push(`--${flag} needs a value`);
    else flags.set(option?.flag ?? flag, raw);
  }
  return flags;
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

/** A file value that is an object (or holds one): it has no text form an option could parse. */
const NESTED = Symbol('nested');

function fileValueText(value: unknown): string | undefined | typeof NESTED {
  if (value === undefined || value === null) return undefined;
  const items = Array.isArray(value) ? value : [value];
  if (items.some((item) => typeof item === 'object' && item !== null)) return NESTED;
  return items.map(String).join(',');
}
