import { Producer } from '@platformatic/kafka';
import type { KafkaClientOptions } from './kafka-client-config';
import type { KafkaProducerPort, ProducedMessage } from './kafka-producer-port';

/** Options of {@link createKafkaProducer}. */
export interface KafkaProducerOptions {
  /** Brokers, TLS, SASL and client id (see `kafkaClientConfig`). */
  readonly kafka: KafkaClientOptions;
  /** Let the brokers create a missing topic (default true, as the brokers allow it). */
  readonly autocreateTopics?: boolean;
}

/**
 * The {@link KafkaProducerPort} on `@platformatic/kafka`: idempotent, acks from all in-sync replicas, gzip.
 * Connects on first send.
 *
 * @example
 * const producer = createKafkaProducer({ kafka: kafkaClientConfig({ brokers: ['127.0.0.1:9092'], clientId: 'cdc-cache' }) })
 * await producer.send('cdc-cache.dlq', [{ key: null, value: 'x' }])
 */
export function createKafkaProducer(options: KafkaProducerOptions): KafkaProducerPort {
  let producer: Producer<Buffer, Buffer, Buffer, Buffer> | null = null;
  return {
    async send(topic: string, messages: readonly ProducedMessage[]) {
      if (messages.length === 0) return;
      producer ??= new Producer<Buffer, Buffer, Buffer, Buffer>({
        ...options.kafka,
        idempotent: true,
        acks: -1,
        compression: 'gzip',
        autocreateTopics: options.autocreateTopics ?? true,
      });
      await producer.send({
        messages: messages.map((message) => ({
          topic,
          key: asBuffer(message.key),
          value: asBuffer(message.value),
          headers: headerMap(message.headers),
        })),
      });
    },
    async close() {
      const closing = producer;
      producer = null;
      await closing?.close();
    },
  };
}

function asBuffer(value: Buffer | string | null): Buffer | undefined {
  if (value === null) return undefined;
  return typeof value === 'string' ? Buffer.from(value) : value;
}

// The client writes the entries of a Map: a fresh Buffer per name keeps a repeated header name as distinct keys.
function headerMap(headers: ProducedMessage['headers']): Map<Buffer, Buffer> {
  const map = new Map<Buffer, Buffer>();
  for (const [name, value] of headers ?? []) map.set(Buffer.from(name), asBuffer(value)!);
  return map;
}
