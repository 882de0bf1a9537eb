/** A message to produce. */
export interface ProducedMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  /** Headers; an array writes the same header name several times. */
  readonly headers?: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[]>>;
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
