export {
  createKafkajsConsumer,
  KAFKAJS_CONSUMER_DEFAULTS,
  type KafkajsConsumerOptions,
} from './create-kafkajs-consumer';
export { createKafkajsProducer, type KafkajsProducerOptions } from './create-kafkajs-producer';
export {
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
  TopicPartition,
} from './kafka-consumer-port';
export type { KafkaProducerPort, ProducedMessage } from './kafka-producer-port';
