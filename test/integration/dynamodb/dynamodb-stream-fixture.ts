import {
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { createStreamReader } from '../../../src/sources/dynamodb';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';

/** DynamoDB Local clients and helpers for one test file: unique tables, dropped at the end. */
export function dynamodbStreamFixture() {
  const { dynamodb: endpoints } = stackEndpoints();
  const config = {
    endpoint: endpoints.endpoint,
    region: endpoints.region,
    credentials: endpoints.credentials,
  };
  const dynamodb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const reader = createStreamReader({ dynamodb, streams, region: endpoints.region });
  const tables: string[] = [];

  return {
    endpoints,
    dynamodb,
    streams,
    reader,
    /** Environment for a child process (the CLI) that talks to DynamoDB Local. */
    childEnv: {
      CDC_CACHE_DYNAMODB_ENDPOINT: endpoints.endpoint,
      AWS_REGION: endpoints.region,
      AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
    },
    /** A new table keyed by `pk` (string), with a stream of the given view type. */
    async createTable(
      stem: string,
      viewType: 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES' = 'NEW_AND_OLD_IMAGES',
    ): Promise<string> {
      const table = uniqueName(stem);
      await dynamodb.send(
        new CreateTableCommand({
          TableName: table,
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          BillingMode: 'PAY_PER_REQUEST',
          StreamSpecification: { StreamEnabled: true, StreamViewType: viewType },
        }),
      );
      await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: table });
      tables.push(table);
      return table;
    },
    async put(table: string, item: Record<string, unknown>): Promise<void> {
      const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
      await dynamodb.send(new PutItemCommand({ TableName: table, Item: marshall(item) }));
    },
    async remove(table: string, pk: string): Promise<void> {
      const { DeleteItemCommand } = await import('@aws-sdk/client-dynamodb');
      await dynamodb.send(new DeleteItemCommand({ TableName: table, Key: marshall({ pk }) }));
    },
    /** Every record of the table's stream, read with GetRecords and mapped to the Lambda event shape. */
    async readStream(table: string): Promise<DynamoDBRecord[]> {
      const { streamArn, shards } = await reader.describe(table);
      const records: DynamoDBRecord[] = [];
      for (const shard of shards) {
        let iterator: string | null = await reader.getIterator(streamArn, shard.shardId, {
          type: 'TRIM_HORIZON',
        });
        // An open shard never ends: stop at the first empty page.
        for (let pages = 0; iterator && pages < 100; pages++) {
          const page = await reader.getRecords(streamArn, iterator, 1000);
          records.push(...page.records);
          if (page.records.length === 0) break;
          iterator = page.nextIterator;
        }
      }
      return records;
    },
    async close(): Promise<void> {
      await Promise.all(
        tables.map((table) =>
          dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined),
        ),
      );
      dynamodb.destroy();
      streams.destroy();
    },
  };
}
