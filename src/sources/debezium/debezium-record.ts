/** Where a Debezium message sits in Kafka: what a runtime acknowledges once its events are applied. */
export interface DebeziumPosition {
  readonly topic: string;
  readonly partition: number;
  /** The Kafka offset, as a decimal string (offsets are 64-bit). */
  readonly offset: string;
}

/**
 * One Kafka record carrying a Debezium message, independent of the Kafka client that fetched it.
 *
 * @example
 * const record: DebeziumRecord = { topic: 'dbserver1.public.users', partition: 0, offset: '42', key, value }
 */
export interface DebeziumRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  /** The message value; `null` for a tombstone. */
  readonly value: Buffer | null;
  readonly headers?: Record<string, Buffer | string | undefined>;
  /** The record timestamp, ms since the epoch as a decimal string. */
  readonly timestamp?: string;
}
