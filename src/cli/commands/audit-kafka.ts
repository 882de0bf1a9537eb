import { kafkaAuditConfigSchema } from '../../audit/kafka-audit-config';
import { runWorkerCommand } from '../run-worker-command';

/**
 * `cdc-cache audit kafka`: read the workers' Debezium topics in its own consumer group and measure, in
 * nines, how soon the keys each change made stale are consistent in Redis. Never writes to Redis.
 *
 * @example
 * // CDC_CACHE_KEYSPACE=keyspace.yaml CDC_CACHE_KAFKA_BROKERS=kafka:9092 CDC_CACHE_KAFKA_TOPICS=dbserver1.public.users cdc-cache audit kafka
 * await run(process.argv.slice(4))
 */
export function run(argv: string[]): Promise<number> {
  return runWorkerCommand(argv, {
    command: 'cdc-cache audit kafka',
    usage: 'cdc-cache audit kafka [options]',
    service: 'cdc-cache-audit-kafka',
    schema: kafkaAuditConfigSchema,
    // Loaded only to start: `--help` and a configuration error answer without the runtime's clients.
    start: async (config, { logger, onFatal }) =>
      (await import('../../audit/run-kafka-audit.js')).runKafkaAudit(config, { logger, onFatal }),
  });
}
