import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { excerpt } from '../errors';
import { maskUrlCredentials } from './mask-url-credentials';

/** Options of {@link createLogger}. */
export interface LoggerFactoryOptions {
  /** pino level; default `CDC_CACHE_LOG_LEVEL` or `info`. */
  readonly level?: string;
  /** The `name` field of every line. Default `cdc-cache`. */
  readonly name?: string;
  /** Fields on every line; default `{ pid }`. */
  readonly base?: Record<string, unknown>;
  /** Where lines go; default stdout (JSON lines, for CloudWatch or any collector). */
  readonly destination?: DestinationStream;
  /** Extra pino options. */
  readonly pino?: LoggerOptions;
}

/** Fields whose value is a secret wherever they appear (up to three levels deep): censored by pino. */
const SECRET_FIELDS = [
  'password',
  'secret',
  'token',
  'authorization',
  'Authorization',
  'secretAccessKey',
  'sessionToken',
  'redisPassword',
  'kafkaSaslPassword',
];
/** pino's redact paths for {@link SECRET_FIELDS}: `*` matches one level, so each depth is listed. */
export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]);

/** A logged string longer than this is cut: a poison record's 1 MB field must not become a 1 MB line. */
export const MAX_LOGGED_STRING = 1_000;
const MAX_DEPTH = 4;

/**
 * The structured (JSON lines) logger of the workers and the Lambda handlers, with three guards on every
 * line: secret fields are censored (`[redacted]`), credentials in URLs are masked, and long strings
 * (including error messages and stacks) are cut to {@link MAX_LOGGED_STRING} characters.
 *
 * @example
 * const logger = createLogger({ level: 'debug' })
 * attachLogger(instrumentation, logger)
 */
export function createLogger(options: LoggerFactoryOptions = {}): Logger {
  const level = options.level ?? process.env['CDC_CACHE_LOG_LEVEL'] ?? 'info';
  const config: LoggerOptions = {
    name: options.name ?? 'cdc-cache',
    level,
    base: options.base ?? { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: {
      err: (error: unknown) => sanitize(pino.stdSerializers.err(error as Error), 0),
    },
    formatters: { log: (object) => sanitize(object, 0) as Record<string, unknown> },
    ...options.pino,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}

/** A copy of a log field with URLs masked and long strings cut; a Buffer is logged as its length only. */
function sanitize(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return excerpt(maskUrlCredentials(value), MAX_LOGGED_STRING);
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (Buffer.isBuffer(value)) return `[${value.length} bytes]`;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.slice(0, 100).map((item) => sanitize(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const name of Object.keys(value)) {
    Object.defineProperty(copy, name, {
      value: sanitize((value as Record<string, unknown>)[name], depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}
