import type { MSKEvent, MSKRecord } from 'aws-lambda';
import { applyRecords, type RecordOutcome } from '../core/apply-records';
import { createDeadLetter, type DeadLetter, deadLetterFields } from '../core/dead-letter';
import type { InvalidationEngine } from '../core/ports';
import { redisFault } from '../core/retry';
import { CdcCacheError } from '../errors';
import type { Keyspace } from '../keyspace';
import { METRIC_NAMES } from '../observability/metric-names';
import {
  createDebeziumDecoder,
  type DebeziumRecord,
  decodeDebeziumRecord,
  keyspaceDecoderOptions,
} from '../sources/debezium';
import { lastHeaderValues } from '../sources/kafka/kafka-headers';
import { memoize } from './create-stream-handler';
import { countRecords, createEmfMetrics, type EmfMetrics, retryReason } from './emf-metrics';
import { type LambdaLogger, silentLogger } from './lambda-logger';
import { mskHeaderEntries } from './msk-header-entries';

/** A Kafka record (MSK or self-managed Kafka event shape) that could not be decoded or planned. */
export interface KafkaDeadLetter {
  readonly record: MSKRecord;
  readonly error: CdcCacheError;
  /** The dead letter every runtime writes: error, time, runtime and the record's topic, partition, offset. */
  readonly letter: DeadLetter;
}

/** Where poison Kafka records go; it must resolve only once they are stored (a DLQ topic, a log...). */
export type KafkaDeadLetterSink = (letters: readonly KafkaDeadLetter[]) => Promise<void>;

/** Options of {@link createKafkaHandler}. */
export interface KafkaHandlerOptions {
  /** The engine, or a function resolving it once (retried after a failure). */
  engine: InvalidationEngine | (() => Promise<InvalidationEngine>);
  /**
   * The engine's keyspace (or a function resolving it once): messages are then decoded for the columns it
   * reads only, as `cdc-cache worker kafka` does. Default: whole images.
   */
  keyspace?: Keyspace | (() => Promise<Keyspace>);
  /** Poison records go here. Default: one error log line per record, with its topic, partition, offset, key and value. */
  deadLetter?: KafkaDeadLetterSink;
  /** Structured logger (pino-compatible). Default: silent. */
  logger?: LambdaLogger;
  /** EMF metrics. Default: EMF lines on stdout with dimension `runtime=kafka-lambda`. */
  metrics?: EmfMetrics;
}

/** A Lambda handler for MSK and self-managed Kafka events (their shapes are the same for our purpose). */
export type KafkaHandler = (
  event: MSKEvent | { eventSource: string; records: MSKEvent['records'] },
) => Promise<void>;

/**
 * Build a handler for Kafka events carrying Debezium messages (base64 key and value), decoded with the
 * same decoder as `cdc-cache worker kafka`.
 *
 * Kafka event source mappings in their default mode know nothing but success or failure of the whole
 * batch (a partial batch response exists only in provisioned mode), so: a record that cannot be decoded
 * or planned goes to the dead-letter sink and the batch succeeds, so the partition never blocks; a Redis
 * outage (or a sink that cannot store) throws, and Lambda retries the whole batch.
 *
 * @example
 * export const kafkaHandler = createKafkaHandler({ engine, deadLetter: async (letters) => sendToDlq(letters) })
 */
export function createKafkaHandler(options: KafkaHandlerOptions): KafkaHandler {
  if (typeof options?.engine !== 'object' && typeof options?.engine !== 'function') {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      'createKafkaHandler: engine must be an engine or a function',
    );
  }
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? createEmfMetrics({ dimensions: { runtime: 'kafka-lambda' } });
  const deadLetter = options.deadLetter ?? logDeadLetters(logger);
  const resolve = memoize(options.engine);
  const keyspace = options.keyspace;
  const resolveDecoder = keyspace
    ? memoize(async () => {
        const loaded = await memoize(keyspace)();
        return createDebeziumDecoder(keyspaceDecoderOptions(loaded));
      })
    : async () => decodeDebeziumRecord;

  return async (event) => {
    const started = performance.now();
    const engine = await resolve();
    const decode = await resolveDecoder();
    const records = Object.values(event?.records ?? {}).flat();
    let outcomes: RecordOutcome[];
    try {
      outcomes = await applyRecords(records, {
        decode: (record) => decode(toDebeziumRecord(record)),
        engine,
      });
    } catch (error) {
      metrics.count(METRIC_NAMES.retries, 1, { reason: retryReason(error) });
      metrics.flush();
      logger.error(
        { err: error, fault: redisFault(error), records: records.length },
        'cdc-cache: Redis did not acknowledge the batch; failing the invocation so that Lambda retries it',
      );
      throw error;
    }
    let actions = 0;
    let applied = 0;
    const letters: KafkaDeadLetter[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'applied') {
        actions += outcome.actions;
        applied++;
      } else if (outcome.status === 'poison') {
        const record = records[index]!;
        const letter = createDeadLetter(outcome.error, 'kafka-lambda', {
          topic: record.topic,
          partition: String(record.partition),
          offset: String(record.offset),
          ...(record.timestamp !== undefined ? { timestamp: String(record.timestamp) } : {}),
        });
        letters.push({ record, error: outcome.error, letter });
      }
    });
    if (letters.length > 0) await deadLetter(letters);
    countRecords(metrics, {
      applied,
      skipped: records.length - applied - letters.length,
      dead_lettered: letters.length,
    });
    metrics.count(METRIC_NAMES.actions, actions);
    metrics.seconds(METRIC_NAMES.batchDuration, (performance.now() - started) / 1000);
    metrics.flush();
  };
}

/**
 * Map one record of a Lambda Kafka event to the source-neutral {@link DebeziumRecord}.
 *
 * @example
 * decodeDebeziumRecord(toDebeziumRecord(event.records['dbserver1.public.users-0'][0]))
 */
export function toDebeziumRecord(record: MSKRecord): DebeziumRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: String(record.offset),
    key: record.key ? Buffer.from(record.key, 'base64') : null,
    value: record.value ? Buffer.from(record.value, 'base64') : null,
    headers: lastHeaderValues(mskHeaderEntries(record)),
    ...(record.timestamp !== undefined ? { timestamp: String(record.timestamp) } : {}),
  };
}

/**
 * The default dead-letter sink: one structured error line per poison record naming where it is (topic,
 * partition, offset) and why, with the sizes of its key and value but not their bytes: row data does not
 * belong in CloudWatch Logs. Read the record again from Kafka while the topic retains it, or configure a
 * dead-letter topic (`CDC_CACHE_DLQ_TOPIC`) to keep the whole record.
 */
export function logDeadLetters(logger: LambdaLogger): KafkaDeadLetterSink {
  return async (letters) => {
    for (const { record, error, letter } of letters) {
      logger.error(
        {
          err: error,
          deadLetter: Object.fromEntries(deadLetterFields(letter)),
          keyBytes: record.key ? Buffer.byteLength(record.key, 'base64') : 0,
          valueBytes: record.value ? Buffer.byteLength(record.value, 'base64') : 0,
        },
        'cdc-cache: poison Kafka record dead-lettered to the log (sizes only; the record stays in Kafka)',
      );
    }
  };
}
