import type { CdcCacheError } from '../errors';
import type { ChangeEvent } from './change-event';

/** The outcome of one event in a batch, in the same order as the input. */
export type EventOutcome =
  /** Every action for the event was acknowledged by Redis. */
  | { readonly status: 'applied'; readonly actions: number }
  /** Nothing to do (a table outside the keyspace, a row without key values); safe to acknowledge. */
  | { readonly status: 'skipped'; readonly reason: string }
  /** The event cannot be planned (not retriable): dead-letter it, then acknowledge. */
  | { readonly status: 'failed'; readonly error: CdcCacheError };

/**
 * The engine every runtime drives: events in, one outcome per event out.
 * `apply` throws a retriable `CDC_REDIS_UNAVAILABLE` error when Redis cannot be reached after its own
 * retries; then nothing in the batch may be acknowledged.
 */
export interface InvalidationEngine {
  /** Plan, coalesce and apply a batch in one pipeline; resolves once Redis acknowledged every action. */
  apply(events: readonly ChangeEvent[]): Promise<EventOutcome[]>;
  /** Close the Redis client if the engine created it (a client that was passed in is left open). */
  close(): Promise<void>;
}

/**
 * A source decoder: one raw record in, its change events out (zero for ignorable records such as Kafka
 * tombstones or heartbeats, several for a truncate of several tables). Throws a non-retriable
 * `CDC_DECODE_FAILED` error naming what is wrong, or a retriable error (a schema registry out of reach).
 */
export type Decoder<Raw> = (
  raw: Raw,
) => readonly ChangeEvent[] | ChangeEvent[] | Promise<readonly ChangeEvent[] | ChangeEvent[]>;
