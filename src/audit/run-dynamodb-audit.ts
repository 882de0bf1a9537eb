import type { ChangeEvent } from '../core/change-event';
import type { WorkerLogger } from '../runtimes/kafka-worker/worker-logger';
import { createStreamReader, decodeStreamRecord } from '../sources/dynamodb';
import type { DynamoDbAuditConfig } from './dynamodb-audit-config';
import { followStream } from './follow-stream';
import { startAuditService } from './start-audit-service';

/**
 * Start `cdc-cache audit dynamodb`: read the table's stream with positions of its own (in memory, never in
 * Redis) and audit every decoded record.
 *
 * @example
 * const audit = await runDynamoDbAudit(config, { logger: pino() })
 * process.once('SIGTERM', () => audit.stop())
 */
export async function runDynamoDbAudit(
  config: DynamoDbAuditConfig,
  { logger }: { logger: WorkerLogger },
): Promise<{ stop(): Promise<void>; readonly httpPort: number }> {
  const reader = createStreamReader({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
  });
  let follower: ReturnType<typeof followStream> | undefined;
  const service = await startAuditService(config, { logger, isReady: () => follower?.isReady() ?? false });
  const decodeOptions = {
    tableName: config.table,
    ...(config.versionAttribute ? { versionAttribute: config.versionAttribute } : {}),
  };
  follower = followStream({
    reader,
    table: config.table,
    initialPosition: config.auditInitialPosition,
    batchSize: config.batchSize,
    idleMs: config.idleMs,
    discoveryMs: config.discoveryMs,
    retryMaxMs: config.retryMaxMs,
    logger,
    onRecords: (records) => {
      const receivedAtMs = Date.now();
      const events: ChangeEvent[] = [];
      for (const record of records) {
        try {
          events.push(decodeStreamRecord(record, decodeOptions));
        } catch {
          // Undecodable: the worker dead-letters it; nothing to audit.
        }
      }
      service.auditor.observe(events, receivedAtMs);
    },
  });
  logger.info({ table: config.table, httpPort: service.httpPort }, 'cdc-cache audit started');
  return {
    httpPort: service.httpPort,
    async stop() {
      await follower?.stop();
      await service.stop();
      reader.destroy();
    },
  };
}
