import { kafkaWorkerConfigSchema } from '../../runtimes/kafka-worker/kafka-worker-config';
import { runWorkerCommand } from '../run-worker-command';

/**
 * `cdc-cache worker kafka`: consume Debezium topics and invalidate Redis keys until SIGTERM/SIGINT.
 *
 * @example
 * // CDC_CACHE_KEYSPACE=keyspace.yaml CDC_CACHE_KAFKA_BROKERS=kafka:9092 CDC_CACHE_KAFKA_TOPICS=dbserver1.public.users cdc-cache worker kafka
 * await run(process.argv.slice(4))
 */
export function run(argv: string[]): Promise<number> {
  return runWorkerCommand(argv, {
    command: 'cdc-cache worker kafka',
    usage: 'cdc-cache worker kafka [options]',
    service: 'cdc-cache-worker-kafka',
    schema: kafkaWorkerConfigSchema,
    // Loaded only to start: `--help` and a configuration error answer without the runtime's clients.
    start: async (config, { logger, onFatal }) =>
      (await import('../../runtimes/kafka-worker/run-kafka-worker.js')).runKafkaWorker(config, {
        logger,
        onFatal,
      }),
  });
}
