import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { Client, Pool } from 'pg';

/** The demo's PostgreSQL table (captured by Debezium as `demo.users`). */
export const USERS_TABLE = 'demo.users';
/** The demo's DynamoDB table (streamed with NEW_AND_OLD_IMAGES). */
export const PRODUCTS_TABLE = 'DemoProducts';

/** A user row as the read service loads it. */
export interface DemoUser {
  id: number;
  name: string;
  email: string;
  revision: number;
}

/** A product item as the read service loads it. */
export interface DemoProduct {
  sku: string;
  name: string;
  price: number;
  revision: number;
}

/** Create (or recreate) the demo schema and seed `users` rows. */
export async function createUsersTable(pg: Client, users: number): Promise<void> {
  await pg.query('DROP SCHEMA IF EXISTS demo CASCADE');
  await pg.query('CREATE SCHEMA demo');
  // REPLICA IDENTITY FULL: Debezium then sends the whole before image, so an email change drops the old key.
  await pg.query(
    'CREATE TABLE demo.users (id int PRIMARY KEY, name text NOT NULL, email text NOT NULL UNIQUE, revision int NOT NULL)',
  );
  await pg.query('ALTER TABLE demo.users REPLICA IDENTITY FULL');
  await pg.query(
    `INSERT INTO demo.users (id, name, email, revision)
     SELECT n, 'user ' || n, 'user' || n || '@example.com', 0 FROM generate_series(1, $1) AS n`,
    [users],
  );
}

/** Drop the demo schema. */
export async function dropUsersTable(pg: Client): Promise<void> {
  await pg.query('DROP SCHEMA IF EXISTS demo CASCADE');
}

/** Load one user by id, as the read service does. */
export async function loadUserById(pg: Client | Pool, id: number): Promise<DemoUser | null> {
  const result = await pg.query<DemoUser>('SELECT id, name, email, revision FROM demo.users WHERE id = $1', [
    id,
  ]);
  return result.rows[0] ?? null;
}

/** Load one user by email, as the read service does. */
export async function loadUserByEmail(pg: Client | Pool, email: string): Promise<DemoUser | null> {
  const result = await pg.query<DemoUser>(
    'SELECT id, name, email, revision FROM demo.users WHERE email = $1',
    [email],
  );
  return result.rows[0] ?? null;
}

/**
 * Update a user: always its name and revision, and its email when `newEmail` is given.
 * Resolves once PostgreSQL has committed, with the user before and after.
 */
export async function updateUser(
  pg: Client,
  id: number,
  newEmail?: string,
): Promise<{ before: DemoUser; after: DemoUser } | null> {
  const before = await loadUserById(pg, id);
  if (!before) return null;
  const result = await pg.query<DemoUser>(
    `UPDATE demo.users SET name = 'user ' || id || ' r' || (revision + 1), revision = revision + 1,
       email = COALESCE($2, email) WHERE id = $1 RETURNING id, name, email, revision`,
    [id, newEmail ?? null],
  );
  return { before, after: result.rows[0]! };
}

/** Create (or recreate) the demo DynamoDB table with a NEW_AND_OLD_IMAGES stream and seed `products` items. */
export async function createProductsTable(dynamodb: DynamoDBClient, products: number): Promise<void> {
  await deleteProductsTable(dynamodb);
  await dynamodb.send(
    new CreateTableCommand({
      TableName: PRODUCTS_TABLE,
      AttributeDefinitions: [{ AttributeName: 'sku', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'sku', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: PRODUCTS_TABLE });
  for (let index = 1; index <= products; index++) {
    const item: DemoProduct = {
      sku: productSku(index),
      name: `product ${index}`,
      price: 100 + index,
      revision: 0,
    };
    await dynamodb.send(new PutItemCommand({ TableName: PRODUCTS_TABLE, Item: marshall(item) }));
  }
}

/** Delete the demo DynamoDB table if it exists. */
export async function deleteProductsTable(dynamodb: DynamoDBClient): Promise<void> {
  try {
    await dynamodb.send(new DescribeTableCommand({ TableName: PRODUCTS_TABLE }));
  } catch {
    return;
  }
  await dynamodb.send(new DeleteTableCommand({ TableName: PRODUCTS_TABLE }));
}

/** The SKU of the n-th demo product. */
export function productSku(index: number): string {
  return `SKU-${String(index).padStart(4, '0')}`;
}

/** Load one product, as the read service does (strongly consistent, like a read after write). */
export async function loadProduct(dynamodb: DynamoDBClient, sku: string): Promise<DemoProduct | null> {
  const result = await dynamodb.send(
    new GetItemCommand({ TableName: PRODUCTS_TABLE, Key: marshall({ sku }), ConsistentRead: true }),
  );
  return result.Item ? (unmarshall(result.Item) as DemoProduct) : null;
}

/** Change a product's price and bump its revision. Resolves once DynamoDB acknowledged the write. */
export async function updateProduct(dynamodb: DynamoDBClient, sku: string): Promise<DemoProduct> {
  const result = await dynamodb.send(
    new UpdateItemCommand({
      TableName: PRODUCTS_TABLE,
      Key: marshall({ sku }),
      UpdateExpression: 'SET price = price + :step, revision = revision + :one',
      ExpressionAttributeValues: marshall({ ':step': 1, ':one': 1 }),
      ReturnValues: 'ALL_NEW',
    }),
  );
  return unmarshall(result.Attributes!) as DemoProduct;
}
