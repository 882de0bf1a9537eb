import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';

/** A DynamoDB stream record (`eventName` INSERT | MODIFY | REMOVE, `dynamodb.Keys/NewImage/OldImage`). */
export type StreamRecord = _Record;

/**
 * Read a table's stream from the start of every shard (DescribeStream, GetShardIterator TRIM_HORIZON,
 * GetRecords) until `until(records)` holds; throws after `timeoutMs` (default 30 000) with what was read.
 * Records of one shard are in order.
 *
 * @example
 * const records = await readStreamUntil(streams, streamArn, (r) => r.some((x) => x.eventName === 'REMOVE'))
 */
export async function readStreamUntil(
  streams: DynamoDBStreamsClient,
  streamArn: string,
  until: (records: readonly StreamRecord[]) => boolean,
  options: { readonly timeoutMs?: number } = {},
): Promise<readonly StreamRecord[]> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const records: StreamRecord[] = [];
  // shard id -> next iterator; null once the shard is closed and fully read.
  const iterators = new Map<string, string | null>();

  for (;;) {
    for (const shardId of await listShards(streams, streamArn)) {
      if (iterators.has(shardId)) continue;
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      );
      iterators.set(shardId, ShardIterator ?? null);
    }
    let read = 0;
    for (const [shardId, iterator] of iterators) {
      if (!iterator) continue;
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
      records.push(...(page.Records ?? []));
      read += page.Records?.length ?? 0;
      iterators.set(shardId, page.NextShardIterator ?? null);
    }
    if (until(records)) return records;
    if (Date.now() >= deadline) {
      const seen = records.map((r) => `${r.eventName} ${JSON.stringify(r.dynamodb?.Keys)}`).join(', ');
      throw new Error(
        `Timed out after ${timeoutMs} ms reading stream ${streamArn}; read: ${seen || 'no records'}`,
      );
    }
    if (read === 0) await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function listShards(streams: DynamoDBStreamsClient, streamArn: string): Promise<string[]> {
  const shardIds: string[] = [];
  let exclusiveStartShardId: string | undefined;
  do {
    const { StreamDescription } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
    );
    for (const shard of StreamDescription?.Shards ?? []) if (shard.ShardId) shardIds.push(shard.ShardId);
    exclusiveStartShardId = StreamDescription?.LastEvaluatedShardId;
  } while (exclusiveStartShardId);
  return shardIds;
}
