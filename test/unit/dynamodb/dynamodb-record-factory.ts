import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';

/** Options of {@link dynamodbRecordFactory}. */
export interface RecordSpec {
  eventName?: 'INSERT' | 'MODIFY' | 'REMOVE';
  keys?: Record<string, unknown>;
  newImage?: Record<string, unknown> | null;
  oldImage?: Record<string, unknown> | null;
  sequenceNumber?: string;
  viewType?: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';
  table?: string;
  ttl?: boolean;
}

let sequence = 100_000_000_000_000_000_000n;

function image(
  value: Record<string, unknown> | null | undefined,
): Record<string, AttributeValue> | undefined {
  return value ? (marshall(value) as unknown as Record<string, AttributeValue>) : undefined;
}

/** A DynamoDB stream record in the Lambda event shape, as Lambda delivers it. */
export function dynamodbRecordFactory(spec: RecordSpec = {}): DynamoDBRecord {
  const eventName = spec.eventName ?? 'MODIFY';
  const keys = spec.keys ?? { pk: 'A1' };
  const viewType = spec.viewType ?? 'NEW_AND_OLD_IMAGES';
  sequence += 1n;
  const newImage =
    spec.newImage !== undefined ? spec.newImage : eventName === 'REMOVE' ? null : { ...keys, price: 10 };
  const oldImage =
    spec.oldImage !== undefined ? spec.oldImage : eventName === 'INSERT' ? null : { ...keys, price: 9 };
  const withNew = viewType === 'NEW_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES';
  const withOld = viewType === 'OLD_IMAGE' || viewType === 'NEW_AND_OLD_IMAGES';
  return {
    eventID: `event-${sequence}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${spec.table ?? 'Products'}/stream/2026-01-01T00:00:00.000`,
    ...(spec.ttl ? { userIdentity: { type: 'Service', principalId: 'dynamodb.amazonaws.com' } } : {}),
    dynamodb: {
      ApproximateCreationDateTime: 1_764_000_000,
      Keys: image(keys),
      NewImage: withNew ? image(newImage) : undefined,
      OldImage: withOld ? image(oldImage) : undefined,
      SequenceNumber: spec.sequenceNumber ?? String(sequence),
      SizeBytes: 64,
      StreamViewType: viewType,
    },
  };
}
