import { type DeadLetter, deadLetterFields } from '../../core/dead-letter';
import { CdcCacheError } from '../../errors';
import type { KafkaHeader } from './kafka-headers';
import type { KafkaProducerPort, ProducedMessage } from './kafka-producer-port';

/** Prefix of the headers a Kafka dead letter carries its `DEAD_LETTER_FIELDS` and source coordinates in. */
export const KAFKA_DEAD_LETTER_HEADER_PREFIX = 'cdc-cache.dlq.';

/** A poison Kafka record as it was consumed, and its dead letter. */
export interface ProducedDeadLetter {
  readonly record: {
    readonly key: Buffer | null;
    readonly value: Buffer | null;
    readonly headers: readonly KafkaHeader[];
  };
  readonly letter: DeadLetter;
}

/**
 * The message a dead letter is produced as: the original key, value and headers (repeated ones included, in
 * order), then one `cdc-cache.dlq.<field>` header per field of the dead letter. Appended last, they are the
 * ones a reader of the last value per name sees, even on a dead letter that failed again after a replay.
 *
 * @example
 * kafkaDeadLetterMessage({ key, value, headers: [] }, letter).headers // [..., ['cdc-cache.dlq.error.code', 'CDC_DECODE_FAILED'], ...]
 */
export function kafkaDeadLetterMessage(
  record: ProducedDeadLetter['record'],
  letter: DeadLetter,
): ProducedMessage {
  return {
    key: record.key,
    value: record.value,
    headers: [
      ...record.headers,
      ...deadLetterFields(letter).map(
        ([name, value]): KafkaHeader => [`${KAFKA_DEAD_LETTER_HEADER_PREFIX}${name}`, value],
      ),
    ],
  };
}

/** Options of {@link createKafkaDeadLetterWriter}. */
export interface KafkaDeadLetterWriterOptions {
  readonly producer: KafkaProducerPort;
  /** The dead-letter topic. */
  readonly topic: string;
}

/**
 * The one writer of Kafka dead letters (the Kafka worker's and the Kafka Lambda's): produces each letter
 * with {@link kafkaDeadLetterMessage} and resolves once the brokers acknowledged them all. A failure is a
 * retriable `CDC_SOURCE_UNAVAILABLE`: the records are then not acknowledged either.
 *
 * @example
 * const write = createKafkaDeadLetterWriter({ producer, topic: 'cdc-cache.dlq' })
 * await write([{ record: { key, value, headers: [] }, letter }])
 */
export function createKafkaDeadLetterWriter(
  options: KafkaDeadLetterWriterOptions,
): (letters: readonly ProducedDeadLetter[]) => Promise<void> {
  const { producer, topic } = options;
  if (!topic) throw new CdcCacheError('CDC_INVALID_OPTION', 'topic: required, the dead-letter topic');
  return async (letters) => {
    if (letters.length === 0) return;
    try {
      await producer.send(
        topic,
        letters.map(({ record, letter }) => kafkaDeadLetterMessage(record, letter)),
      );
    } catch (error) {
      throw new CdcCacheError(
        'CDC_SOURCE_UNAVAILABLE',
        `cannot write ${letters.length} dead letters to ${topic}: ${(error as Error).message}`,
        { cause: error, retriable: true },
      );
    }
  };
}
