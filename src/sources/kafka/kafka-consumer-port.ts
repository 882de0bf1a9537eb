/** A topic and partition. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** One consumed message, independent of the Kafka client. */
export interface ConsumedMessage {
  /** The offset, as a decimal string (offsets are 64-bit). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Record headers; a header repeated under one name arrives as an array. */
  readonly headers?: Readonly<Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>>;
  /** Record timestamp, ms since the epoch as a decimal string. */
  readonly timestamp: string;
}

/** The messages of one partition fetched together. */
export interface ConsumedBatch extends TopicPartition {
  readonly messages: readonly ConsumedMessage[];
}

/** How far one assigned partition is behind: messages between its position and its high watermark. */
export interface PartitionLag extends TopicPartition {
  readonly lag: number;
}

/** What a batch handler may do while it holds a batch. */
export interface BatchControl {
  /** Mark every message up to and including `offset` as done; only resolved offsets are committed. */
  resolveOffset(offset: string): void;
  /** Tell the group coordinator we are alive (throttled by the client); throws if a rebalance started. */
  heartbeat(): Promise<void>;
  /** False once the consumer is stopping: finish the current step and return. */
  isRunning(): boolean;
  /** True once this batch's partition was sought or revoked: resolve nothing more and return. */
  isStale(): boolean;
  /** Stop fetching this partition until the returned function is called. */
  pause(): () => void;
}

/** Handles one batch; resolves once everything it resolved may be committed. */
export type BatchHandler = (batch: ConsumedBatch, control: BatchControl) => Promise<void>;

/** What the consumer knows of its place in the group. */
export interface ConsumerStatus {
  /** Connected to the cluster. */
  readonly connected: boolean;
  /** Joined the group and received an assignment (possibly empty when there are more members than partitions). */
  readonly joined: boolean;
  /** Assigned partitions by topic. */
  readonly assignment: Readonly<Record<string, readonly number[]>>;
}

/**
 * The consumer-group port the Kafka worker runs on, so the client library can be swapped. Offsets are
 * committed only once resolved, and never for a partition the member no longer owns.
 *
 * @example
 * await consumer.run(async (batch, control) => { ...; control.resolveOffset(last.offset) })
 */
export interface KafkaConsumerPort {
  /** Connect, join the group, subscribe, and hand every fetched batch to `handler` until {@link stop}. */
  run(handler: BatchHandler): Promise<void>;
  /** Let the in-flight batches finish, commit resolved offsets, leave the group and disconnect. */
  stop(): Promise<void>;
  /** Stop fetching these partitions. */
  pause(partitions: readonly TopicPartition[]): void;
  /** Fetch these partitions again. */
  resume(partitions: readonly TopicPartition[]): void;
  /** Fetch a partition from `offset` next (ignored for a partition this member does not own). */
  seek(position: TopicPartition & { readonly offset: string }): void;
  /** Connection and group state, for readiness. */
  status(): ConsumerStatus;
  /** Called when the client failed for good (it will not reconnect by itself). */
  onFatal(listener: (error: Error) => void): void;
  /**
   * The lag of every partition this member owns: the high watermark (asked of the brokers) minus the offset
   * after the last message resolved (or the group's committed offset before any). Empty when not running.
   */
  lag(): Promise<readonly PartitionLag[]>;
}
