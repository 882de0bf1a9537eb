import type { DynamoDBRecord } from 'aws-lambda';

/** One shard of a DynamoDB stream. */
export interface StreamShard {
  readonly shardId: string;
  /** The shard this one split from; null for a root shard. */
  readonly parentShardId: string | null;
  /** True once the shard has an ending sequence number: it gets no new records. */
  readonly closed: boolean;
}

/** What the poller needs to know about a table and its stream. */
export interface StreamDescription {
  readonly table: string;
  readonly streamArn: string;
  /** The view type of the stream, undefined if the table has no stream. */
  readonly viewType: string | undefined;
  /** The table's key attribute names (hash, then range). */
  readonly keyAttributes: readonly string[];
  /** Every shard the stream still holds. */
  readonly shards: readonly StreamShard[];
}

/** Where to start reading a shard. */
export type ShardStart =
  | { readonly type: 'TRIM_HORIZON' }
  | { readonly type: 'LATEST' }
  | { readonly type: 'AFTER_SEQUENCE_NUMBER'; readonly sequenceNumber: string };

/** One GetRecords page, records already in the Lambda event shape. */
export interface RecordsPage {
  readonly records: DynamoDBRecord[];
  /** Null when the shard is closed and fully read. */
  readonly nextIterator: string | null;
}

/** Why a stream call failed, as far as the poller's recovery is concerned. */
export type StreamFailure = 'expired-iterator' | 'trimmed' | 'throttled' | 'not-found' | 'unavailable';

/**
 * The port the polling consumer reads DynamoDB Streams through; `createStreamReader` is the AWS SDK adapter.
 * Errors are `CdcCacheError('CDC_SOURCE_UNAVAILABLE')` whose `details.failure` is a {@link StreamFailure}.
 *
 * @example
 * const page = await reader.getRecords(arn, await reader.getIterator(arn, shardId, { type: 'TRIM_HORIZON' }), 1000)
 */
export interface StreamReader {
  /** DescribeTable + DescribeStream (all pages). */
  describe(table: string): Promise<StreamDescription>;
  /** GetShardIterator. */
  getIterator(streamArn: string, shardId: string, start: ShardStart): Promise<string>;
  /** GetRecords (GetRecords output names no stream, so the ARN is passed for `eventSourceARN`). */
  getRecords(streamArn: string, iterator: string, limit: number): Promise<RecordsPage>;
}
