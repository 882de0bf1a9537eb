import { DeleteItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import {
  createStreamTable,
  type DynamoDbLocalClients,
  deleteTable,
  dynamoDbLocalClients,
} from '../../support/dynamodb-local';
import { readStreamUntil, type StreamRecord } from '../../support/dynamodb-stream-reader';
import { uniqueName } from '../../support/unique-name';

type Image = NonNullable<NonNullable<StreamRecord['dynamodb']>['NewImage']>;
const plain = (image: Image | undefined) =>
  image ? unmarshall(image as Parameters<typeof unmarshall>[0]) : undefined;

describe('smoke: DynamoDB Local -> DynamoDB Streams', () => {
  const tableName = uniqueName('smoke_products');
  let clients: DynamoDbLocalClients;

  beforeAll(() => {
    clients = dynamoDbLocalClients();
  });

  afterAll(async () => {
    await deleteTable(clients.dynamodb, tableName);
    clients.destroy();
  });

  it('records a put, an update and a delete as INSERT, MODIFY and REMOVE with old and new images', async () => {
    // Prepare
    const { dynamodb, streams } = clients;
    const { streamArn } = await createStreamTable(dynamodb, {
      tableName,
      streamViewType: 'NEW_AND_OLD_IMAGES',
    });

    // Act
    await dynamodb.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: 'sku-1' }, name: { S: 'Lamp' }, price: { N: '10' } },
      }),
    );
    await dynamodb.send(
      new UpdateItemCommand({
        TableName: tableName,
        Key: { pk: { S: 'sku-1' } },
        UpdateExpression: 'SET price = :price',
        ExpressionAttributeValues: { ':price': { N: '12' } },
      }),
    );
    await dynamodb.send(new DeleteItemCommand({ TableName: tableName, Key: { pk: { S: 'sku-1' } } }));

    // Assess
    const records = await readStreamUntil(
      streams,
      streamArn,
      (r) => r.some((x) => x.eventName === 'REMOVE'),
      {
        timeoutMs: 30_000,
      },
    );
    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [inserted, modified, removed] = records.map((r) => r.dynamodb!);
    expect(plain(inserted!.Keys)).toEqual({ pk: 'sku-1' });
    expect(plain(inserted!.NewImage)).toEqual({ pk: 'sku-1', name: 'Lamp', price: 10 });
    expect(inserted!.OldImage).toBeUndefined();
    expect(plain(modified!.OldImage)).toEqual({ pk: 'sku-1', name: 'Lamp', price: 10 });
    expect(plain(modified!.NewImage)).toEqual({ pk: 'sku-1', name: 'Lamp', price: 12 });
    expect(plain(removed!.OldImage)).toEqual({ pk: 'sku-1', name: 'Lamp', price: 12 });
    expect(removed!.NewImage).toBeUndefined();
    // Sequence numbers grow: the worker compares them to order writes of one item.
    const sequence = records.map((r) => BigInt(r.dynamodb!.SequenceNumber!));
    expect(sequence[0]! < sequence[1]! && sequence[1]! < sequence[2]!).toBe(true);
  });
});
