import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { CdcCacheError } from '../../errors';
import type {
  RecordsPage,
  ShardStart,
  StreamDescription,
  StreamFailure,
  StreamReader,
  StreamShard,
} from './stream-reader';

/** Options of {@link createStreamReader}: existing clients (never destroyed by us) or how to build them. */
export interface StreamReaderOptions {
  /** An existing DynamoDB client (for DescribeTable). */
  dynamodb?: DynamoDBClient;
  /** An existing DynamoDB Streams client. */
  streams?: DynamoDBStreamsClient;
  /** Region for clients we build; default: the SDK's own resolution (AWS_REGION, profile...). */
  region?: string;
  /** Endpoint for clients we build, e.g. `http://127.0.0.1:8000` for DynamoDB Local. */
  endpoint?: string;
}

const FAILURES: Readonly<Record<string, StreamFailure>> = {
  ExpiredIteratorException: 'expired-iterator',
  TrimmedDataAccessException: 'trimmed',
  LimitExceededException: 'throttled',
  ProvisionedThroughputExceededException: 'throttled',
  ThrottlingException: 'throttled',
  ResourceNotFoundException: 'not-found',
};

/**
 * The AWS SDK adapter of the {@link StreamReader} port: DescribeTable, DescribeStream, GetShardIterator and
 * GetRecords, records mapped to the Lambda event shape so that the poller and the Lambda share one decoder.
 *
 * @example
 * const reader = createStreamReader({ endpoint: 'http://127.0.0.1:8000', region: 'us-east-1' })
 * const { streamArn, shards } = await reader.describe('Products')
 */
export function createStreamReader(options: StreamReaderOptions = {}): StreamReader & { destroy(): void } {
  const config = {
    ...(options.region ? { region: options.region } : {}),
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
  };
  const dynamodb = options.dynamodb ?? new DynamoDBClient(config);
  const streams = options.streams ?? new DynamoDBStreamsClient(config);
  let region = options.region;

  const call = async <T>(operation: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      const name = (error as { name?: string }).name ?? '';
      const failure = FAILURES[name] ?? 'unavailable';
      throw new CdcCacheError(
        'CDC_SOURCE_UNAVAILABLE',
        `DynamoDB Streams ${operation} failed: ${name}: ${(error as Error).message}`,
        {
          cause: error,
          retriable: true,
          details: { failure, operation },
        },
      );
    }
  };

  return {
    async describe(table: string): Promise<StreamDescription> {
      const described = await call('DescribeTable', () =>
        dynamodb.send(new DescribeTableCommand({ TableName: table })),
      );
      const streamArn = described.Table?.LatestStreamArn;
      const keyAttributes = (described.Table?.KeySchema ?? [])
        .slice()
        .sort((a, b) => (a.KeyType === 'HASH' ? -1 : b.KeyType === 'HASH' ? 1 : 0))
        .map((key) => key.AttributeName ?? '');
      if (!streamArn || described.Table?.StreamSpecification?.StreamEnabled === false) {
        return { table, streamArn: '', viewType: undefined, keyAttributes, shards: [] };
      }
      region ??= streamArn.split(':')[3];
      const shards: StreamShard[] = [];
      let viewType: string | undefined;
      let exclusiveStartShardId: string | undefined;
      do {
        const page = await call('DescribeStream', () =>
          streams.send(
            new DescribeStreamCommand({ StreamArn: streamArn, ExclusiveStartShardId: exclusiveStartShardId }),
          ),
        );
        viewType ??= page.StreamDescription?.StreamViewType;
        for (const shard of page.StreamDescription?.Shards ?? []) {
          if (!shard.ShardId) continue;
          shards.push({
            shardId: shard.ShardId,
            parentShardId: shard.ParentShardId ?? null,
            closed: Boolean(shard.SequenceNumberRange?.EndingSequenceNumber),
          });
        }
        exclusiveStartShardId = page.StreamDescription?.LastEvaluatedShardId;
      } while (exclusiveStartShardId);
      return { table, streamArn, viewType, keyAttributes, shards };
    },

    async getIterator(streamArn: string, shardId: string, start: ShardStart): Promise<string> {
      const result = await call('GetShardIterator', () =>
        streams.send(
          new GetShardIteratorCommand({
            StreamArn: streamArn,
            ShardId: shardId,
            ShardIteratorType: start.type,
            ...(start.type === 'AFTER_SEQUENCE_NUMBER' ? { SequenceNumber: start.sequenceNumber } : {}),
          }),
        ),
      );
      if (!result.ShardIterator) {
        throw new CdcCacheError(
          'CDC_SOURCE_UNAVAILABLE',
          `GetShardIterator returned no iterator for ${shardId}`,
          {
            retriable: true,
            details: { failure: 'not-found' satisfies StreamFailure, shardId },
          },
        );
      }
      return result.ShardIterator;
    },

    async getRecords(streamArn: string, iterator: string, limit: number): Promise<RecordsPage> {
      const result = await call('GetRecords', () =>
        streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit })),
      );
      return {
        records: (result.Records ?? []).map((record) => toLambdaRecord(record, streamArn, region)),
        nextIterator: result.NextShardIterator ?? null,
      };
    },

    destroy(): void {
      if (!options.dynamodb) dynamodb.destroy();
      if (!options.streams) streams.destroy();
    },
  };
}

/**
 * Map one GetRecords record to the shape Lambda delivers (`DynamoDBRecord`): epoch-second creation time,
 * base64 binary attributes, and the stream ARN as `eventSourceARN`.
 *
 * @example
 * const event = { Records: page.Records.map((record) => toLambdaRecord(record, streamArn, 'us-east-1')) }
 */
export function toLambdaRecord(
  record: _Record,
  streamArn: string | undefined,
  region?: string,
): DynamoDBRecord {
  const stream = record.dynamodb;
  const created = stream?.ApproximateCreationDateTime;
  return {
    eventID: record.eventID,
    eventName: record.eventName,
    eventVersion: record.eventVersion,
    eventSource: record.eventSource ?? 'aws:dynamodb',
    awsRegion: record.awsRegion ?? region,
    eventSourceARN: streamArn,
    ...(record.userIdentity ? { userIdentity: { ...record.userIdentity } } : {}),
    dynamodb: stream && {
      ApproximateCreationDateTime: created instanceof Date ? Math.floor(created.getTime() / 1000) : created,
      Keys: lambdaImage(stream.Keys),
      NewImage: lambdaImage(stream.NewImage),
      OldImage: lambdaImage(stream.OldImage),
      SequenceNumber: stream.SequenceNumber,
      SizeBytes: stream.SizeBytes,
      StreamViewType: stream.StreamViewType,
    },
  };
}

function lambdaImage(image: Record<string, unknown> | undefined): Record<string, AttributeValue> | undefined {
  if (!image) return undefined;
  return lambdaValue({ M: image }).M as Record<string, AttributeValue>;
}

function lambdaValue(value: unknown): AttributeValue {
  const attribute = value as Record<string, unknown>;
  if (attribute['B'] instanceof Uint8Array) return { B: Buffer.from(attribute['B']).toString('base64') };
  if (Array.isArray(attribute['BS']))
    return { BS: (attribute['BS'] as Uint8Array[]).map((bytes) => Buffer.from(bytes).toString('base64')) };
  if (Array.isArray(attribute['L'])) return { L: (attribute['L'] as unknown[]).map(lambdaValue) };
  if (attribute['M'] && typeof attribute['M'] === 'object') {
    const map: Record<string, AttributeValue> = {};
    for (const [name, inner] of Object.entries(attribute['M'] as Record<string, unknown>))
      map[name] = lambdaValue(inner);
    return { M: map };
  }
  return attribute as AttributeValue;
}
