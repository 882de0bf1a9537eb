import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  ResourceNotFoundException,
  type StreamViewType,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { type StackEndpoints, stackEndpoints } from './stack-endpoints';

/** A DynamoDB client and a DynamoDB Streams client, both on DynamoDB Local. */
export interface DynamoDbLocalClients {
  readonly dynamodb: DynamoDBClient;
  readonly streams: DynamoDBStreamsClient;
  /** Close both clients' sockets. */
  destroy(): void;
}

/**
 * Clients pointed at the stack's DynamoDB Local (region us-east-1, dummy alphanumeric credentials).
 *
 * @example
 * const { dynamodb, streams, destroy } = dynamoDbLocalClients()
 * afterAll(destroy)
 */
export function dynamoDbLocalClients(endpoints: StackEndpoints = stackEndpoints()): DynamoDbLocalClients {
  const { endpoint, region, credentials } = endpoints.dynamodb;
  const config = { endpoint, region, credentials: { ...credentials }, maxAttempts: 3 };
  const dynamodb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  return {
    dynamodb,
    streams,
    destroy: () => {
      dynamodb.destroy();
      streams.destroy();
    },
  };
}

/** Options of {@link createStreamTable}. */
export interface StreamTableOptions {
  readonly tableName: string;
  /** String partition key attribute. Default `pk`. */
  readonly partitionKey?: string;
  /** Optional string sort key attribute. */
  readonly sortKey?: string;
  /** What the stream records carry. Default `NEW_AND_OLD_IMAGES`. */
  readonly streamViewType?: StreamViewType;
}

/**
 * Create an on-demand table with a stream, wait until it is ACTIVE, and return its stream ARN.
 *
 * @example
 * const { streamArn } = await createStreamTable(dynamodb, { tableName: uniqueName('products') })
 */
export async function createStreamTable(
  dynamodb: DynamoDBClient,
  options: StreamTableOptions,
): Promise<{ readonly tableName: string; readonly streamArn: string }> {
  const partitionKey = options.partitionKey ?? 'pk';
  const keys = [
    { AttributeName: partitionKey, KeyType: 'HASH' as const },
    ...(options.sortKey ? [{ AttributeName: options.sortKey, KeyType: 'RANGE' as const }] : []),
  ];
  const created = await dynamodb.send(
    new CreateTableCommand({
      TableName: options.tableName,
      KeySchema: keys,
      AttributeDefinitions: keys.map(({ AttributeName }) => ({ AttributeName, AttributeType: 'S' as const })),
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: {
        StreamEnabled: true,
        StreamViewType: options.streamViewType ?? 'NEW_AND_OLD_IMAGES',
      },
    }),
  );
  await waitUntilTableExists(
    { client: dynamodb, maxWaitTime: 30, minDelay: 1 },
    { TableName: options.tableName },
  );
  const streamArn = created.TableDescription?.LatestStreamArn;
  if (!streamArn) throw new Error(`table ${options.tableName} was created without a stream ARN`);
  return { tableName: options.tableName, streamArn };
}

/**
 * Delete a table; a table that does not exist is fine.
 *
 * @example
 * afterAll(() => deleteTable(dynamodb, tableName))
 */
export async function deleteTable(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await dynamodb.send(new DeleteTableCommand({ TableName: tableName }));
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
}
