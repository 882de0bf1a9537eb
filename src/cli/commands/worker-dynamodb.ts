import pino from 'pino';
import { CdcCacheError } from '../../errors';
import { dynamodbWorkerConfigSchema } from '../../runtimes/dynamodb-worker/dynamodb-worker-config';
import { runDynamoDbWorker } from '../../runtimes/dynamodb-worker/run-dynamodb-worker';
import { formatHelp, redactConfig, resolveConfig } from '../../runtimes/shared/config-schema';
import { handleShutdownSignals } from '../../runtimes/shared/shutdown';

const USAGE = 'cdc-cache worker dynamodb --table <table> [options]';

/**
 * `cdc-cache worker dynamodb --table T`: poll the table's stream and invalidate Redis keys until SIGTERM/SIGINT.
 *
 * @example
 * // CDC_CACHE_KEYSPACE=keyspace.yaml CDC_CACHE_REDIS_URL=redis://cache:6379 cdc-cache worker dynamodb --table Products
 * await run(['--table', 'Products'])
 */
export async function run(argv: string[]): Promise<number> {
  let resolved: ReturnType<typeof resolveConfig<typeof dynamodbWorkerConfigSchema>>;
  try {
    resolved = resolveConfig(dynamodbWorkerConfigSchema, { argv, env: process.env });
  } catch (error) {
    if (error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID') {
      console.error(`${error.message}\n\nRun 'cdc-cache worker dynamodb --help' for every option.`);
      return 2;
    }
    throw error;
  }
  if (resolved.help) {
    console.log(formatHelp(dynamodbWorkerConfigSchema, { usage: USAGE }));
    return 0;
  }
  const config = resolved.values;
  const logger = pino({ level: config.logLevel, base: { service: 'cdc-cache-worker-dynamodb' } });
  logger.info({ config: redactConfig(dynamodbWorkerConfigSchema, config) }, 'starting');
  let worker: Awaited<ReturnType<typeof runDynamoDbWorker>>;
  try {
    worker = await runDynamoDbWorker(config, { logger });
  } catch (error) {
    logger.error({ err: error }, 'cannot start');
    return error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID' ? 2 : 1;
  }
  return new Promise<number>((resolve) => {
    const dispose = handleShutdownSignals({
      stop: () => worker.stop(),
      timeoutMs: config.shutdownTimeoutMs,
      log: (level, message, error) => logger[level](error === undefined ? {} : { err: error }, message),
      exit: (code) => {
        dispose();
        resolve(code);
        // Anything still holding the event loop (a hung socket) must not keep a stopped worker alive.
        setTimeout(() => process.exit(code), 1_000).unref();
      },
    });
  });
}
