import { dynamodbWorkerConfigSchema } from '../../runtimes/dynamodb-worker/dynamodb-worker-config';
import { runDynamoDbWorker } from '../../runtimes/dynamodb-worker/run-dynamodb-worker';
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
    start: (config, { logger }) => runDynamoDbWorker(config, { logger }),
  });
}
