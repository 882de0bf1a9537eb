import type { KafkaHeader } from './kafka-headers';

/** A message to produce. */
export interface ProducedMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  /** Headers, written in this order; a name may repeat. */
  readonly headers?: readonly KafkaHeader[];
}

/**
 * The producer port the Kafka worker writes dead letters through.
 *
 * @example
 * await producer.send('cdc-cache.dlq', [{ key: null, value: Buffer.from('...') }])
 */
export interface KafkaProducerPort {
  /** Resolves once every message was acknowledged by all in-sync replicas. */
  send(topic: string, messages: readonly ProducedMessage[]): Promise<void>;
  /** Disconnect. */
  close(): Promise<void>;
}
