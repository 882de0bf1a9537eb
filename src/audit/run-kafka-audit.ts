import { CdcCacheError } from '../errors';
import { startWhenAvailable } from '../runtimes/kafka-worker/start-when-available';
import type { WorkerLogger } from '../runtimes/kafka-worker/worker-logger';
import { createJsonMessageDecoder, type DebeziumRecord, keyspaceDecoderOptions } from '../sources/debezium';
import {
  type ConsumedBatch,
  type ConsumedMessage,
  createKafkaConsumer,
  kafkaClientConfig,
} from '../sources/kafka';
import type { KafkaAuditConfig } from './kafka-audit-config';
import { startAuditService } from './start-audit-service';

/** An auditor started by {@link runKafkaAudit}. */
export interface RunningKafkaAudit {
  stop(): Promise<void>;
  /** Port of /healthz, /readyz and /metrics. */
  readonly httpPort: number;
}

/**
 * Start `cdc-cache audit kafka`: consume the workers' Debezium topics in the auditor's OWN consumer group
 * (its offsets never move the workers'), and audit every decoded change. Records that cannot be decoded
 * are the worker's business (dead letters); the auditor skips them.
 *
 * @example
 * const audit = await runKafkaAudit(config, { logger: pino() })
 * process.once('SIGTERM', () => audit.stop())
 */
export async function runKafkaAudit(
  config: KafkaAuditConfig,
  { logger, onFatal }: { logger: WorkerLogger; onFatal?: (error: Error) => void },
): Promise<RunningKafkaAudit> {
  if ((config.topics === undefined) === (config.topicPattern === undefined)) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      'Invalid configuration: set exactly one of CDC_CACHE_KAFKA_TOPICS (--kafka-topics) and CDC_CACHE_KAFKA_TOPIC_PATTERN (--kafka-topic-pattern)',
    );
  }
  if (config.auditGroupId === config.groupId) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `Invalid configuration: the audit group (CDC_CACHE_AUDIT_GROUP_ID) must not be the workers' group '${config.groupId}': the auditor would take their partitions`,
    );
  }
  const kafka = kafkaClientConfig({
    brokers: config.brokers,
    clientId: `${config.clientId}-audit`,
    ssl: config.ssl,
    sslCaFile: config.sslCaFile,
    saslMechanism: config.saslMechanism,
    saslUsername: config.saslUsername,
    saslPassword: config.saslPassword,
    awsRegion: config.awsRegion,
  });
  let consumer: ReturnType<typeof createKafkaConsumer> | undefined;
  const service = await startAuditService(config, {
    logger,
    isReady: () => {
      const status = consumer?.status();
      return status?.connected === true && status.joined;
    },
  });
  // The worker's decoder settings, so the keys are the worker's.
  const decoder = createJsonMessageDecoder(keyspaceDecoderOptions(service.keyspace));
  const handler = async (batch: ConsumedBatch, control: { resolveOffset(offset: string): void }) => {
    const receivedAtMs = Date.now();
    for (const message of batch.messages) {
      try {
        const decoded = await decoder.decode(toRecord(batch, message));
        service.auditor.observe(decoded, receivedAtMs);
      } catch {
        // Undecodable: the worker dead-letters it; nothing to audit.
      }
    }
    const last = batch.messages.at(-1);
    if (last) control.resolveOffset(last.offset);
  };
  const build = () => {
    const next = createKafkaConsumer({
      kafka,
      groupId: config.auditGroupId,
      topics: config.topics,
      topicPattern: config.topicPattern,
      fromBeginning: config.auditFromBeginning,
      partitionsConsumedConcurrently: config.concurrency,
      sessionTimeoutMs: config.sessionTimeoutMs,
      log: (level, message, extra) => logger[level](extra, message),
    });
    consumer = next;
    next.onFatal((error) => {
      logger.error({ err: error }, 'Kafka consumer failed for good');
      onFatal?.(error);
    });
    return {
      start: () => next.run(handler),
      stop: () => next.stop(),
      isReady: () => next.status().joined,
    };
  };
  let running: ReturnType<typeof build>;
  try {
    running = await startWhenAvailable(build, { logger });
  } catch (error) {
    await service.stop();
    throw error;
  }
  logger.info(
    {
      groupId: config.auditGroupId,
      topics: config.topics ?? config.topicPattern?.source,
      httpPort: service.httpPort,
    },
    'cdc-cache audit started',
  );
  return {
    httpPort: service.httpPort,
    async stop() {
      await running.stop();
      await service.stop();
    },
  };
}

function toRecord(batch: ConsumedBatch, message: ConsumedMessage): DebeziumRecord {
  let headers: Record<string, Buffer | string | undefined> | undefined;
  for (const name in message.headers) {
    const value = message.headers[name];
    headers ??= {};
    headers[name] = Array.isArray(value) ? value.at(-1) : (value as Buffer | string | undefined);
  }
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    ...(headers ? { headers } : {}),
    timestamp: message.timestamp,
  };
}
