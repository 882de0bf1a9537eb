import { dynamodbWorkerConfigSchema } from '../../runtimes/dynamodb-worker/dynamodb-worker-config';
import { runWorkerCommand } from '../run-worker-command';

/**
 * `cdc-cache worker dynamodb --table T`: poll the table's stream and invalidate Redis keys until SIGTERM/SIGINT.
 *
 * @example
 * // CDC_CACHE_KEYSPACE=keyspace.yaml CDC_CACHE_REDIS_URL=redis://cache:6379 cdc-cache worker dynamodb --table Products
 * await run(['--table', 'Products'])
 */
export function run(argv: string[]): Promise<number> {
  return runWorkerCommand(argv, {
    command: 'cdc-cache worker dynamodb',
    usage: 'cdc-cache worker dynamodb --table <table> [options]',
    service: 'cdc-cache-worker-dynamodb',
    schema: dynamodbWorkerConfigSchema,
    // Loaded only to start: `--help` and a configuration error answer without the runtime's clients.
    start: async (config, { logger }) =>
      (await import('../../runtimes/dynamodb-worker/run-dynamodb-worker.js')).runDynamoDbWorker(config, {
        logger,
      }),
  });
}
