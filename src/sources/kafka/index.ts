export {
  createKafkaConsumer,
  KAFKA_CONSUMER_DEFAULTS,
  type KafkaConsumerOptions,
} from './create-kafka-consumer';
export { createKafkaProducer, type KafkaProducerOptions } from './create-kafka-producer';
export {
  type KafkaClientOptions,
  type KafkaConnectionOptions,
  kafkaClientConfig,
  SASL_MECHANISMS,
  type SaslMechanism,
} from './kafka-client-config';
export type {
  BatchControl,
  BatchHandler,
  ConsumedBatch,
  ConsumedMessage,
  ConsumerStatus,
  KafkaConsumerPort,
  PartitionLag,
  TopicPartition,
} from './kafka-consumer-port';
export {
  createKafkaDeadLetterWriter,
  KAFKA_DEAD_LETTER_HEADER_PREFIX,
  type KafkaDeadLetterWriterOptions,
  kafkaDeadLetterMessage,
  type ProducedDeadLetter,
} from './kafka-dead-letters';
export { headerEntries, type KafkaHeader, lastHeaderValues } from './kafka-headers';
export type { KafkaProducerPort, ProducedMessage } from './kafka-producer-port';
