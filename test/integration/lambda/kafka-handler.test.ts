import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { MSKRecord } from 'aws-lambda';
import { Redis } from 'ioredis';
import { createTopics } from '../../../scripts/stack/kafka-topics';
import { createDeadLetter } from '../../../src/core/dead-letter';
import { createCache, defineKeyspace } from '../../../src/index';
import {
  createEmfMetrics,
  createInvalidationEngine,
  createKafkaHandler,
  loadKafkaDeadLetterProducer,
} from '../../../src/lambda';
import { createTopicReader } from '../../support/kafka-topic-reader';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';

const endpoints = stackEndpoints();
const redis = new Redis(endpoints.redis.url);
const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table: 'public.users' }] },
});

let offset = 100;
function mskRecord(value: unknown): MSKRecord {
  offset += 1;
  const base64 = (data: unknown) =>
    Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64');
  return {
    topic: 'dbserver1.public.users',
    partition: 2,
    offset,
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: base64({ id: 1 }),
    value: base64(value),
    // A repeated header: the dead letter keeps both values, in order.
    headers: [{ origin: [...Buffer.from('test')] }, { origin: [...Buffer.from('again')] }],
  };
}

// Prepared outside the tests: Debezium PostgreSQL update envelope, JSON converter without schemas.
const emailChange = {
  op: 'u',
  before: { id: 1, email: 'old@example.com' },
  after: { id: 1, email: 'new@example.com' },
  source: {
    connector: 'postgresql',
    name: 'dbserver1',
    schema: 'public',
    table: 'users',
    lsn: 424242,
    txId: 7,
    ts_ms: 1,
  },
  ts_ms: 1,
};

jest.setTimeout(60_000);

afterAll(() => redis.disconnect());

describe('Kafka (MSK) Lambda handler with the real engine, Redis and a dead-letter topic', () => {
  it('invalidates the keys of both images and produces poison records to the dead-letter topic', async () => {
    // Prepare
    const prefix = `${uniqueName('msk')}:`;
    const dlqTopic = uniqueName('dlq');
    await createTopics([dlqTopic], { partitions: 1 });
    const reader = await createTopicReader({ topics: dlqTopic });
    const cache = createCache({ redis, keyspace, prefix });
    await cache.get('user', { id: 1 }, async () => ({ id: 1, email: 'old@example.com' }));
    await cache.get('userByEmail', { email: 'old@example.com' }, async () => ({ id: 1 }));
    await cache.get('userByEmail', { email: 'new@example.com' }, async () => null);
    const deadLetter = await loadKafkaDeadLetterProducer({
      topic: dlqTopic,
      brokers: [...endpoints.kafka.brokers],
    });
    const handler = createKafkaHandler({
      engine: createInvalidationEngine({ keyspace, redis, prefix }),
      deadLetter,
      metrics: createEmfMetrics({ write: () => undefined }),
    });
    const poison = mskRecord('{"op": "u", broken');

    // Act
    await handler({
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/1',
      bootstrapServers: endpoints.kafka.brokers.join(','),
      records: { 'dbserver1.public.users-2': [mskRecord(emailChange), poison] },
    });

    // Assess
    expect(await cache.peek('user', { id: 1 })).toBeUndefined();
    expect(await cache.peek('userByEmail', { email: 'old@example.com' })).toBeUndefined();
    expect(await cache.peek('userByEmail', { email: 'new@example.com' })).toBeUndefined();
    const [letter] = await reader.waitFor((messages) => messages.length >= 1, {
      description: 'the dead letter',
    });
    expect(letter!.value).toBe('{"op": "u", broken');
    // The same fields as every runtime's dead letter (docs/dead-letters.md), after the original headers.
    expect(letter!.headers).toEqual({
      origin: ['test', 'again'],
      'cdc-cache.dlq.topic': ['dbserver1.public.users'],
      'cdc-cache.dlq.partition': ['2'],
      'cdc-cache.dlq.offset': [String(poison.offset)],
      'cdc-cache.dlq.timestamp': [String(poison.timestamp)],
      'cdc-cache.dlq.error.code': ['CDC_DECODE_FAILED'],
      'cdc-cache.dlq.error.message': [expect.any(String)],
      'cdc-cache.dlq.failed-at': [expect.stringMatching(/^\d+$/)],
      'cdc-cache.dlq.runtime': ['kafka-lambda'],
    });
    await reader.close();
    await deadLetter.close();
  });

  it('writes a dead letter from the esbuild bundle of the producer, in a fresh process', async () => {
    // Prepare: the bundle as the Lambda loads it (an ES-module client inside a CommonJS bundle)
    execFileSync(process.execPath, ['scripts/build-lambda.mjs'], { stdio: 'pipe' });
    const dlqTopic = uniqueName('bundle-dlq');
    await createTopics([dlqTopic], { partitions: 1 });
    const reader = await createTopicReader({ topics: dlqTopic });
    const letter = {
      record: {
        topic: 'dbserver1.public.users',
        partition: 2,
        offset: 7,
        value: Buffer.from('bad').toString('base64'),
      },
      error: { code: 'CDC_DECODE_FAILED', message: 'not JSON' },
      letter: createDeadLetter({ code: 'CDC_DECODE_FAILED', message: 'not JSON' }, 'kafka-lambda', {
        topic: 'dbserver1.public.users',
        partition: '2',
        offset: '7',
      }),
    };
    const send = `
      const { createKafkaDeadLetterProducer } = require(${JSON.stringify(join(process.cwd(), 'dist-lambda/kafka-dead-letter-producer.js'))});
      const sink = createKafkaDeadLetterProducer({ topic: ${JSON.stringify(dlqTopic)}, brokers: ${JSON.stringify(endpoints.kafka.brokers)} });
      sink([${JSON.stringify(letter)}]).then(() => sink.close()).then(() => process.exit(0), (error) => { console.error(error); process.exit(1); });`;

    // Act
    execFileSync(process.execPath, ['-e', send], { env: { PATH: process.env['PATH'] }, stdio: 'pipe' });

    // Assess
    const [written] = await reader.waitFor((messages) => messages.length >= 1, {
      description: 'the dead letter from the bundle',
    });
    expect(written!.value).toBe('bad');
    expect(written!.headers['cdc-cache.dlq.error.code']).toEqual(['CDC_DECODE_FAILED']);
    await reader.close();
  });
});
