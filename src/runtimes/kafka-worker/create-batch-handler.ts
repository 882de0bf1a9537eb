import { applyRecords, type RecordOutcome } from '../../core/apply-records';
import { createDeadLetter } from '../../core/dead-letter';
import type { InvalidationEngine } from '../../core/ports';
import { CdcCacheError } from '../../errors';
import type { DebeziumRecord, MessageDecoder } from '../../sources/debezium';
import type {
  BatchControl,
  BatchHandler,
  ConsumedBatch,
  ConsumedMessage,
  KafkaProducerPort,
  TopicPartition,
} from '../../sources/kafka';
// The files, not the index: the batch handler needs no Kafka client.
import { createKafkaDeadLetterWriter } from '../../sources/kafka/kafka-dead-letters';
import { headerEntries, lastHeaderValues } from '../../sources/kafka/kafka-headers';
import type { WorkerLogger } from './worker-logger';
import type { WorkerMetrics } from './worker-metrics';

/** What the handler tells its owner when Redis (or the dead-letter topic) cannot take a chunk. */
export interface OutageListener {
  /**
   * The chunk from `offset` on was not applied and nothing from it was resolved; the partition is paused.
   * Call `resume` after backing off: the partition is fetched again from `offset`.
   */
  unavailable(partition: TopicPartition, offset: string, resume: () => void, error: unknown): void;
  /** A chunk was applied: Redis is reachable. */
  healthy(): void;
}

/** Dependencies and options of {@link createBatchHandler}. */
export interface BatchHandlerOptions {
  readonly decoder: MessageDecoder;
  readonly engine: InvalidationEngine;
  readonly producer: KafkaProducerPort;
  readonly deadLetterTopic: string;
  readonly outage: OutageListener;
  /** Most messages decoded and applied together; the rest of a batch follows in further chunks. */
  readonly maxMessagesPerChunk?: number;
  readonly metrics?: WorkerMetrics;
  readonly logger?: WorkerLogger;
  /** Called after each chunk is acknowledged by Redis (benchmarks measure added latency with it). */
  readonly onChunkApplied?: (info: AppliedChunk) => void;
}

/** A chunk Redis acknowledged: when the handler took it (`performance.now()`), and which messages it held. */
export interface AppliedChunk {
  readonly receivedAt: number;
  readonly messages: number;
  readonly topic: string;
  readonly partition: number;
  readonly firstOffset: string;
  readonly lastOffset: string;
}

/**
 * Defaults of {@link BatchHandlerOptions}. 500 messages a chunk, the engine's script call size: with 2,000 the
 * worker spent about 18 % more CPU per event (`bench:kafka`, alternated runs), the garbage collector copying
 * four lanes' larger chunks still in flight at each scavenge.
 */
export const BATCH_HANDLER_DEFAULTS = { maxMessagesPerChunk: 500 } as const;

/**
 * The Kafka worker's batch handler: decode a chunk, apply its events through the engine in one go,
 * dead-letter the poison records, and only then resolve the chunk's offsets. A chunk Redis cannot take is
 * left unresolved and its partition paused (see {@link OutageListener}); a partition lost to a rebalance
 * resolves nothing more.
 *
 * @example
 * await consumer.run(createBatchHandler({ decoder: jsonMessageDecoder, engine, producer, deadLetterTopic: 'cdc-cache.dlq', outage }))
 */
export function createBatchHandler(options: BatchHandlerOptions): BatchHandler {
  const chunkSize = options.maxMessagesPerChunk ?? BATCH_HANDLER_DEFAULTS.maxMessagesPerChunk;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'maxMessagesPerChunk: expected an integer ≥ 1');
  }
  const { decoder, engine, deadLetterTopic, outage, metrics, logger, onChunkApplied } = options;
  const writeDeadLetters = createKafkaDeadLetterWriter({
    producer: options.producer,
    topic: deadLetterTopic,
  });

  async function handleChunk(
    batch: ConsumedBatch,
    chunk: readonly ConsumedMessage[],
    control: BatchControl,
  ): Promise<boolean> {
    const receivedAt = performance.now();
    let outcomes: RecordOutcome[];
    try {
      outcomes = await applyRecords(chunk, {
        decode: (message) => decoder.decode(debeziumRecord(batch, message)),
        engine,
      });
    } catch (error) {
      return deferChunk(batch, chunk, control, error);
    }
    const failures = new Map<number, CdcCacheError>();
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'poison') failures.set(index, outcome.error);
    });

    if (failures.size > 0) {
      const poisoned = [...failures].sort(([a], [b]) => a - b);
      try {
        await writeDeadLetters(
          poisoned.map(([index, error]) => {
            const message = chunk[index]!;
            return {
              record: { key: message.key, value: message.value, headers: headerEntries(message.headers) },
              letter: createDeadLetter(error, 'kafka-worker', {
                topic: batch.topic,
                partition: String(batch.partition),
                offset: message.offset,
                timestamp: message.timestamp,
              }),
            };
          }),
        );
      } catch (error) {
        return deferChunk(batch, chunk, control, error);
      }
      for (const [index, error] of poisoned) {
        logger?.warn(
          {
            topic: batch.topic,
            partition: batch.partition,
            offset: chunk[index]!.offset,
            code: error.code,
            err: error.message,
          },
          'poison record sent to the dead-letter topic',
        );
      }
    }

    // Lost the partition while applying: resolve nothing; its next owner applies the chunk again (idempotent).
    if (control.isStale()) return false;
    const last = chunk[chunk.length - 1]!;
    control.resolveOffset(last.offset);
    outage.healthy();
    onChunkApplied?.({
      receivedAt,
      messages: chunk.length,
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: chunk[0]!.offset,
      lastOffset: last.offset,
    });
    metrics?.countOutcomes(outcomes);
    metrics?.observeBatch((performance.now() - receivedAt) / 1000);
    await control.heartbeat();
    return true;
  }

  function deferChunk(
    batch: ConsumedBatch,
    chunk: readonly ConsumedMessage[],
    control: BatchControl,
    error: unknown,
  ): false {
    const resume = control.pause();
    outage.unavailable({ topic: batch.topic, partition: batch.partition }, chunk[0]!.offset, resume, error);
    return false;
  }

  return async (batch, control) => {
    const { messages } = batch;
    for (let start = 0; start < messages.length; start += chunkSize) {
      // Stopping or rebalancing: what is resolved so far gets committed, the rest is fetched again.
      if (!control.isRunning() || control.isStale()) return;
      const chunk = messages.slice(start, start + chunkSize);
      if (!(await handleChunk(batch, chunk, control))) return;
    }
  };
}

function debeziumRecord(batch: ConsumedBatch, message: ConsumedMessage): DebeziumRecord {
  return {
    topic: batch.topic,
    partition: batch.partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers: message.headers && lastHeaderValues(headerEntries(message.headers)),
    timestamp: message.timestamp,
  };
}
