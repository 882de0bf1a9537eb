import { Redis } from 'ioredis';
import { CdcCacheError } from '../../../src/errors';
import { internalKey } from '../../../src/keyspace';
import { createRedisDeadLetters } from '../../../src/runtimes/dynamodb-worker/redis-dead-letters';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { dynamodbRecordFactory } from '../../unit/dynamodb/dynamodb-record-factory';

// The DynamoDB poller's dead letters hold row data in the cache's Redis: the stream must stay bounded by
// length and by age, whatever the rate of poison records.

const redis = new Redis(stackEndpoints().redis.url);
afterAll(() => redis.disconnect());

const letter = () => ({
  shardId: 'shard-1',
  record: dynamodbRecordFactory({ newImage: { pk: 'A1', bio: 'x'.repeat(1_000) } }),
  error: new CdcCacheError('CDC_DECODE_FAILED', 'bad record'),
});

describe('createRedisDeadLetters', () => {
  it('keeps about maxLength entries, and the stream expires within the retention', async () => {
    // Prepare
    const prefix = `${uniqueName('dlq')}:`;
    const key = internalKey(prefix, 'dlq', 'Products');
    const deadLetters = createRedisDeadLetters({
      redis,
      prefix,
      table: 'Products',
      maxLength: 10,
      retentionMs: 60_000,
    });

    // Act
    for (let batch = 0; batch < 30; batch++) await deadLetters(Array.from({ length: 10 }, letter));

    // Assess: MAXLEN ~ trims whole stream nodes (100 entries each by default), so "about"
    expect(await redis.xlen(key)).toBeLessThanOrEqual(10 + 100);
    const ttl = await redis.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await redis.del(key);
  });

  it('trims entries older than the retention', async () => {
    // Prepare: 300 entries written now, then one written by a clock two retentions later
    const prefix = `${uniqueName('dlq')}:`;
    const key = internalKey(prefix, 'dlq', 'Products');
    const retentionMs = 60_000;
    const options = { redis, prefix, table: 'Products', maxLength: 100_000, retentionMs };
    for (let batch = 0; batch < 3; batch++)
      await createRedisDeadLetters(options)(Array.from({ length: 100 }, letter));
    expect(await redis.xlen(key)).toBe(300);

    // Act
    await createRedisDeadLetters({ ...options, now: () => Date.now() + 2 * retentionMs })([letter()]);

    // Assess: whole nodes of old entries are gone (MINID ~ keeps at most the node holding the newest)
    expect(await redis.xlen(key)).toBeLessThanOrEqual(101);
    await redis.del(key);
  });
});
