import { CdcCacheError } from '../errors';
import {
  createKafkaDeadLetterWriter,
  createKafkaProducer,
  type KafkaClientOptions,
  type KafkaConnectionOptions,
  type KafkaProducerPort,
  kafkaClientConfig,
} from '../sources/kafka';
import type { KafkaDeadLetterSink } from './create-kafka-handler';
import { LAMBDA_KAFKA_CLIENT_ID } from './lambda-defaults';
import { type LambdaLogger, silentLogger } from './lambda-logger';
import { mskHeaderEntries } from './msk-header-entries';

/** A dead-letter sink with a producer to disconnect (a Lambda never needs to; tests and other hosts do). */
export type ClosableKafkaDeadLetterSink = KafkaDeadLetterSink & { close(): Promise<void> };

/** Options of {@link createKafkaDeadLetterProducer}. */
export interface KafkaDeadLetterProducerOptions {
  /** The dead-letter topic. */
  topic: string;
  /** Bootstrap brokers. */
  brokers: readonly string[];
  /** Client id, TLS and SASL (`loadKafkaDeadLetterProducer` reads them from the environment); default: client id {@link LAMBDA_KAFKA_CLIENT_ID}, plaintext. */
  connection?: Omit<KafkaConnectionOptions, 'brokers'>;
  /** Client options on top of those built from `connection`. */
  kafka?: Partial<KafkaClientOptions>;
  /** Logger. */
  logger?: LambdaLogger;
}

/**
 * A dead-letter sink that produces each poison record, unchanged (key, value, headers), to a Kafka topic,
 * with the dead letter in `cdc-cache.dlq.*` headers, as `cdc-cache worker kafka` does (one writer for both). The producer connects once and is reused across invocations;
 * `send` resolves only once the brokers acknowledged (acks = all), so the batch is acknowledged after it.
 *
 * @example
 * const deadLetter = createKafkaDeadLetterProducer({ topic: 'cdc-cache.dlq', brokers: ['b-1.msk:9098'] })
 */
export function createKafkaDeadLetterProducer(
  options: KafkaDeadLetterProducerOptions,
): ClosableKafkaDeadLetterSink {
  if (!options.topic) throw new CdcCacheError('CDC_INVALID_OPTION', 'topic: required, the dead-letter topic');
  if (!options.brokers?.length)
    throw new CdcCacheError('CDC_INVALID_OPTION', 'brokers: required, at least one broker');
  const logger = options.logger ?? silentLogger;
  let connected: KafkaProducerPort | undefined;
  const producer = (): KafkaProducerPort => {
    connected ??= createKafkaProducer({
      kafka: {
        ...kafkaClientConfig({
          clientId: LAMBDA_KAFKA_CLIENT_ID,
          ...options.connection,
          brokers: options.brokers,
        }),
        ...options.kafka,
      },
      autocreateTopics: false,
    });
    return connected;
  };
  // The producer connects at the first dead letter, then serves every invocation of the container.
  const write = createKafkaDeadLetterWriter({
    topic: options.topic,
    producer: {
      send: (topic, messages) => producer().send(topic, messages),
      close: async () => undefined,
    },
  });
  const sink = async (letters: Parameters<KafkaDeadLetterSink>[0]) => {
    await write(
      letters.map(({ record, letter }) => ({
        record: {
          key: record.key ? Buffer.from(record.key, 'base64') : null,
          value: record.value ? Buffer.from(record.value, 'base64') : null,
          headers: mskHeaderEntries(record),
        },
        letter,
      })),
    );
    logger.warn(
      { topic: options.topic, count: letters.length },
      'cdc-cache: poison Kafka records sent to the dead-letter topic',
    );
  };
  return Object.assign(sink, {
    async close() {
      const pending = connected;
      connected = undefined;
      await pending?.close();
    },
  });
}
