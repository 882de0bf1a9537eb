import pino from 'pino';
import { CdcCacheError } from '../../errors';
import { kafkaWorkerConfigSchema } from '../../runtimes/kafka-worker/kafka-worker-config';
import { runKafkaWorker } from '../../runtimes/kafka-worker/run-kafka-worker';
import { formatHelp, redactConfig, resolveConfig } from '../../runtimes/shared/config-schema';
import { handleShutdownSignals } from '../../runtimes/shared/shutdown';

const USAGE = 'cdc-cache worker kafka [options]';

/**
 * `cdc-cache worker kafka`: consume Debezium topics and invalidate Redis keys until SIGTERM/SIGINT.
 *
 * @example
 * // CDC_CACHE_KEYSPACE=keyspace.yaml CDC_CACHE_KAFKA_BROKERS=kafka:9092 CDC_CACHE_KAFKA_TOPICS=dbserver1.public.users cdc-cache worker kafka
 * await run(process.argv.slice(4))
 */
export async function run(argv: string[]): Promise<number> {
  let resolved: ReturnType<typeof resolveConfig<typeof kafkaWorkerConfigSchema>>;
  try {
    resolved = resolveConfig(kafkaWorkerConfigSchema, { argv, env: process.env });
  } catch (error) {
    if (error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID') {
      console.error(`${error.message}\n\nRun '${USAGE.replace(' [options]', '')} --help' for every option.`);
      return 2;
    }
    throw error;
  }
  if (resolved.help) {
    console.log(formatHelp(kafkaWorkerConfigSchema, { usage: USAGE }));
    return 0;
  }
  const config = resolved.values;
  const logger = pino({ level: config.logLevel, base: { service: 'cdc-cache-worker-kafka' } });
  logger.info({ config: redactConfig(kafkaWorkerConfigSchema, config) }, 'starting');

  let fatal: ((error: Error) => void) | undefined;
  const exited = new Promise<number>((resolve) => {
    fatal = () => resolve(1);
  });
  let worker: Awaited<ReturnType<typeof runKafkaWorker>>;
  try {
    worker = await runKafkaWorker(config, { logger, onFatal: (error) => fatal?.(error) });
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
    void exited.then(async (code) => {
      dispose();
      await worker
        .stop()
        .catch((error: unknown) => logger.error({ err: error }, 'stop after a fatal error failed'));
      resolve(code);
      setTimeout(() => process.exit(code), 1_000).unref();
    });
  });
}
