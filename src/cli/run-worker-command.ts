import type { Logger } from 'pino';
import { CdcCacheError } from '../errors';
import { createLogger } from '../observability/create-logger';
import { formatHelp } from '../runtimes/shared/config-docs';
import {
  type ConfigSchema,
  type ConfigValues,
  redactConfig,
  resolveConfig,
} from '../runtimes/shared/config-schema';
import { handleShutdownSignals } from '../runtimes/shared/shutdown';

/** The settings every worker schema has (see `processOptions`). */
type ProcessSettings = { readonly logLevel: string; readonly shutdownTimeoutMs: number };

/** One worker command: its schema, how it is called, and how to start it. */
export interface WorkerCommand<Schema extends ConfigSchema> {
  /** The command as typed, e.g. `cdc-cache worker kafka`. */
  readonly command: string;
  /** The usage line of `--help`. */
  readonly usage: string;
  /** The `service` field of every log line. */
  readonly service: string;
  readonly schema: Schema;
  /** Start the worker; `onFatal` stops it and exits 1 (e.g. a consumer crash it cannot recover from). */
  start(
    config: ConfigValues<Schema>,
    context: { logger: Logger; onFatal: (error: Error) => void },
  ): Promise<{ stop(): Promise<void> }>;
}

/**
 * Run a worker command: resolve and validate its configuration (exit 2 naming the bad option), print
 * `--help`, start it, and stop it gracefully on SIGTERM/SIGINT within its shutdown bound. Resolves to the
 * process exit code.
 *
 * @example
 * export const run = (argv: string[]) => runWorkerCommand(argv, { command: 'cdc-cache worker kafka', ... })
 */
export async function runWorkerCommand<Schema extends ConfigSchema>(
  argv: string[],
  worker: WorkerCommand<Schema>,
): Promise<number> {
  let resolved: ReturnType<typeof resolveConfig<Schema>>;
  try {
    resolved = resolveConfig(worker.schema, { argv, env: process.env });
  } catch (error) {
    if (error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID') {
      console.error(`${error.message}\n\nRun '${worker.command} --help' for every option.`);
      return 2;
    }
    throw error;
  }
  if (resolved.help) {
    console.log(formatHelp(worker.schema, { usage: worker.usage }));
    return 0;
  }
  const config = resolved.values;
  const settings = config as unknown as ProcessSettings;
  const logger = createLogger({ level: settings.logLevel, base: { service: worker.service } });
  logger.info({ config: redactConfig(worker.schema, config) }, 'starting');

  let fatal: (() => void) | undefined;
  const failed = new Promise<void>((resolve) => {
    fatal = resolve;
  });
  let running: { stop(): Promise<void> };
  try {
    running = await worker.start(config, { logger, onFatal: () => fatal?.() });
  } catch (error) {
    logger.error({ err: error }, 'cannot start');
    return error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID' ? 2 : 1;
  }
  return new Promise<number>((resolve) => {
    const finish = (code: number) => {
      dispose();
      resolve(code);
      // Anything still holding the event loop (a hung socket) must not keep a stopped worker alive.
      setTimeout(() => process.exit(code), 1_000).unref();
    };
    const dispose = handleShutdownSignals({
      stop: () => running.stop(),
      timeoutMs: settings.shutdownTimeoutMs,
      log: (level, message, error) => logger[level](error === undefined ? {} : { err: error }, message),
      exit: finish,
    });
    void failed.then(async () => {
      dispose();
      await running
        .stop()
        .catch((error: unknown) => logger.error({ err: error }, 'stop after a fatal error failed'));
      finish(1);
    });
  });
}
