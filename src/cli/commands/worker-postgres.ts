import { postgresWorkerConfigSchema } from '../../runtimes/postgres-worker/postgres-worker-config';
import { runWorkerCommand } from '../run-worker-command';

/**
 * `cdc-cache worker postgres`: stream PostgreSQL logical replication (pgoutput) and invalidate Redis keys
 * until SIGTERM/SIGINT. No Kafka, no Debezium.
 *
 * @example
 * // CDC_CACHE_KEYSPACE=keyspace.yaml CDC_CACHE_POSTGRES_URL=postgres://cdc@db/app cdc-cache worker postgres
 * await run([])
 */
export function run(argv: string[]): Promise<number> {
  return runWorkerCommand(argv, {
    command: 'cdc-cache worker postgres',
    usage: 'cdc-cache worker postgres --postgres-url <url> [options]',
    service: 'cdc-cache-worker-postgres',
    schema: postgresWorkerConfigSchema,
    // Loaded only to start: `--help` and a configuration error answer without the runtime's clients.
    start: async (config, { logger }) =>
      (await import('../../runtimes/postgres-worker/run-postgres-worker.js')).runPostgresWorker(config, {
        logger,
      }),
  });
}
