// Placeholder until the DynamoDB Streams issue lands: the real handler replaces this file.
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';

/** The DynamoDB Streams consumer handler. */
export async function handler(_event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> {
  throw new Error('cdc-cache/lambda: handler not built yet');
}
