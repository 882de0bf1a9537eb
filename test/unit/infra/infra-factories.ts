import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { CdcCacheStack } from '../../../infra/lib/cdc-cache-stack';
import { type CdcCacheConfig, type RawConfig, REPO_ROOT, resolveConfig } from '../../../infra/lib/config';

/** Stream ARN of the test table. */
export const STREAM_ARN =
  'arn:aws:dynamodb:eu-west-1:111111111111:table/Products/stream/2026-01-01T00:00:00.000';
/** MSK cluster of the tests. */
export const CLUSTER_ARN =
  'arn:aws:kafka:eu-west-1:111111111111:cluster/shop/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab-2';

/** Raw settings of a full deployment (DynamoDB + Kafka), as a config file would hold them. */
export function rawConfigFactory(overrides: RawConfig = {}): RawConfig {
  return {
    stackName: 'CdcCacheTest',
    keyspaceFile: 'infra/examples/keyspace.json',
    tableName: 'Products',
    tableStreamArn: STREAM_ARN,
    batchSize: 250,
    maxBatchingWindowSeconds: 2,
    retryAttempts: 7,
    maxRecordAgeSeconds: 1800,
    kafkaBrokers: 'b-1.shop.kafka.eu-west-1.amazonaws.com:9098,b-2.shop.kafka.eu-west-1.amazonaws.com:9098',
    kafkaTopics: 'shop.public.users,shop.public.orders',
    kafkaPartitionCount: 6,
    mskClusterArn: CLUSTER_ARN,
    kafkaImage: 'example.org/cdc-cache:test',
    readServiceSecurityGroupIds: ['sg-0aaaaaaaaaaaaaaaa', 'sg-0bbbbbbbbbbbbbbbb'],
    ...overrides,
  };
}

/** Synthesize the app stack without bundling the Lambda (the bundle is src/lambda's business, not the template's). */
export function synthesize(
  config: CdcCacheConfig,
  repoRoot: string = REPO_ROOT,
): { stack: CdcCacheStack; template: Template } {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new CdcCacheStack(app, config.stackName, { config, repoRoot });
  return { stack, template: Template.fromStack(stack) };
}

/** Synthesize from raw settings (validated as the app does). */
export function synthesizeRaw(overrides: RawConfig = {}): { stack: CdcCacheStack; template: Template } {
  return synthesize(resolveConfig(rawConfigFactory(overrides)));
}

/** A throwaway Docker build context with a Dockerfile and the example keyspace at the same relative path. */
export function dockerContextFactory(): { root: string; keyspaceFile: string } {
  const root = mkdtempSync(join(tmpdir(), 'cdc-cache-infra-'));
  writeFileSync(join(root, 'Dockerfile'), 'FROM scratch\n');
  mkdirSync(join(root, 'keyspace'));
  const keyspaceFile = join(root, 'keyspace', 'keyspace.json');
  cpSync(join(REPO_ROOT, 'infra', 'examples', 'keyspace.json'), keyspaceFile);
  return { root, keyspaceFile };
}

/** Every resource of a type, by logical ID. */
export function resourcesOfType(
  template: Template,
  type: string,
): Record<string, { Properties?: Record<string, unknown> }> {
  return template.findResources(type) as Record<string, { Properties?: Record<string, unknown> }>;
}

/** Every IAM statement in the template (inline policies of roles and AWS::IAM::Policy documents). */
export function iamStatements(
  template: Template,
): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  const statements: Array<{ Action: string | string[]; Resource: unknown; Effect: string }> = [];
  for (const policy of Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))) {
    const document = policy.Properties?.PolicyDocument as { Statement: typeof statements };
    statements.push(...document.Statement);
  }
  return statements;
}

/** Write a file and return its path. */
export function writeTempFile(name: string, content: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'cdc-cache-infra-'));
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}
