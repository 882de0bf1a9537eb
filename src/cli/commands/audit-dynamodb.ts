import { dynamodbAuditConfigSchema } from '../../audit/dynamodb-audit-config';
import { runWorkerCommand } from '../run-worker-command';

/**
 * `cdc-cache audit dynamodb --table T`: read the table's stream with positions of its own and measure, in
 * nines, how soon the keys each record made stale are consistent in Redis. Never writes to Redis.
 *
 * @example
 * // CDC_CACHE_KEYSPACE=keyspace.yaml CDC_CACHE_REDIS_URL=redis://cache:6379 cdc-cache audit dynamodb --table Products
 * await run(['--table', 'Products'])
 */
export function run(argv: string[]): Promise<number> {
  return runWorkerCommand(argv, {
    command: 'cdc-cache audit dynamodb',
    usage: 'cdc-cache audit dynamodb --table <table> [options]',
    service: 'cdc-cache-audit-dynamodb',
    schema: dynamodbAuditConfigSchema,
    // Loaded only to start: `--help` and a configuration error answer without the runtime's clients.
    start: async (config, { logger }) =>
      (await import('../../audit/run-dynamodb-audit.js')).runDynamoDbAudit(config, { logger }),
  });
}
