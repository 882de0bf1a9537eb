import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerFactoryOptions {
  /** pino level; default `CDC_CACHE_LOG_LEVEL` or `info`. */
  readonly level?: string;
  /** The `name` field of every line. Default `cdc-cache`. */
  readonly name?: string;
  /** Where lines go; default stdout (JSON lines, for CloudWatch or any collector). */
  readonly destination?: DestinationStream;
  /** Extra pino options. */
  readonly pino?: LoggerOptions;
}

/**
 * The structured (JSON lines) logger of the runtimes. Secrets in Redis/Kafka options are redacted.
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
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: ['*.password', '*.secretAccessKey', '*.sasl.password', 'redis.password'],
      censor: '[redacted]',
    },
    ...options.pino,
  };
  return options.destination ? pino(config, options.destination) : pino(config);
}
