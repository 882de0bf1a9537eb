import { CompressionTypes, type IHeaders, Kafka, type KafkaConfig, type Producer } from 'kafkajs';
import type { KafkaProducerPort, ProducedMessage } from './kafka-producer-port';

/** Options of {@link createKafkajsProducer}. */
export interface KafkajsProducerOptions {
  /** An existing kafkajs client (left as is), or the configuration to build one. */
  readonly kafka: Kafka | KafkaConfig;
}

/**
 * The {@link KafkaProducerPort} on kafkajs: idempotent, acks from all in-sync replicas, gzip.
 * Connects on first send.
 *
 * @example
 * const producer = createKafkajsProducer({ kafka: { brokers: ['127.0.0.1:9092'] } })
 * await producer.send('cdc-cache.dlq', [{ key: null, value: 'x' }])
 */
export function createKafkajsProducer(options: KafkajsProducerOptions): KafkaProducerPort {
  const kafka = options.kafka instanceof Kafka ? options.kafka : new Kafka(options.kafka);
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  let connecting: Promise<void> | null = null;
  return {
    async send(topic: string, messages: readonly ProducedMessage[]) {
      if (messages.length === 0) return;
      connecting ??= producer.connect().catch((error: unknown) => {
        connecting = null;
        throw error;
      });
      await connecting;
      await producer.send({
        topic,
        acks: -1,
        compression: CompressionTypes.GZIP,
        messages: messages.map((message) => ({
          key: message.key,
          value: message.value,
          headers: (message.headers ?? {}) as IHeaders,
        })),
      });
    },
    async close() {
      if (connecting) await producer.disconnect();
      connecting = null;
    },
  };
}
