// npm run bench:dynamodb — the DynamoDB Streams Lambda handler, in-process, on batches of 1,000 stream
// records against real Redis, and in the same run a naive handler (same decoder, one awaited DEL per
// record). Records are MODIFY events (NEW_AND_OLD_IMAGES, ~300 bytes of images) of a delete-mode entity;
// each batch's keys are filled (untimed) before the batch so every DEL has something to delete. The two
// handlers run in interleaved rounds (8 handler batches, then 1 naive batch).
// The last line is JSON. Sizes: BENCH_DYNAMODB_BATCHES (default 40), BENCH_DYNAMODB_NAIVE_BATCHES (default 5).
import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import { Redis } from 'ioredis';
import { createInvalidationEngine } from '../src/core/create-invalidation-engine';
import { defineKeyspace, entryKey } from '../src/keyspace';
import { createEmfMetrics, createStreamHandler } from '../src/lambda';
import { decodeStreamRecord } from '../src/sources/dynamodb';
import {
  cpuNow,
  cpuSince,
  machineFacts,
  parseCostUs,
  rawRedisFloor,
  redisRoundTrip,
  round,
} from './support/limits';

const REDIS_URL = process.env['CDC_CACHE_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const BATCH = 1000;
const BATCHES = Number(process.env['BENCH_DYNAMODB_BATCHES'] ?? 40);
const NAIVE_BATCHES = Number(process.env['BENCH_DYNAMODB_NAIVE_BATCHES'] ?? 5);
const WARMUP = 3;
const ITEMS = 50_000;
const TABLE = 'Products';

const prefix = `bench-ddb-${Date.now().toString(36)}:`;
const keyspace = defineKeyspace({
  product: { key: 'product:{sku}', ttl: '30m', sources: [{ dynamodb: TABLE, fields: { sku: 'pk' } }] },
});

let sequence = 100_000_000_000_000_000_000n;
function streamRecord(item: number): DynamoDBRecord {
  sequence += 1n;
  const image = (price: number) =>
    marshall({
      pk: `sku-${item}`,
      name: `Product ${item}`,
      price,
      stock: item % 97,
      tags: ['a', 'b'],
      description: 'x'.repeat(80),
    }) as unknown as Record<string, AttributeValue>;
  return {
    eventID: `e${sequence}`,
    eventName: 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    eventSourceARN: `arn:aws:dynamodb:us-east-1:123456789012:table/${TABLE}/stream/2026-01-01T00:00:00.000`,
    dynamodb: {
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: { pk: { S: `sku-${item}` } },
      OldImage: image(9.5),
      NewImage: image(10.25),
      SequenceNumber: String(sequence),
      SizeBytes: 300,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function batches(count: number, offset: number): DynamoDBRecord[][] {
  return Array.from({ length: count }, (_, batch) =>
    Array.from({ length: BATCH }, (_, index) => streamRecord((offset + batch * BATCH + index) % ITEMS)),
  );
}

async function fill(redis: Redis, records: DynamoDBRecord[]): Promise<void> {
  const pipeline = redis.pipeline();
  for (const record of records) {
    pipeline.set(
      entryKey(keyspace, 'product', { sku: record.dynamodb!.Keys!['pk']!.S! }, prefix),
      'v|0||0|0||jnull',
      'PX',
      600_000,
    );
  }
  await pipeline.exec();
}

/** CPU microseconds the handler spent, over every timed batch (fills excluded). */
let handlerCpuUs = 0;

async function time(
  redis: Redis,
  work: DynamoDBRecord[][],
  handle: (records: DynamoDBRecord[]) => Promise<void>,
) {
  const durations: number[] = [];
  for (const records of work) {
    await fill(redis, records);
    const cpu = cpuNow();
    const started = performance.now();
    await handle(records);
    durations.push(performance.now() - started);
    handlerCpuUs += cpuSince(cpu);
  }
  return durations;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

async function main(): Promise<void> {
  execFileSync(process.execPath, ['scripts/build-lambda.mjs'], { stdio: 'pipe' });
  const bundleKb = statSync('dist-lambda/index.js').size / 1024;

  const redis = new Redis(REDIS_URL);
  const engine = createInvalidationEngine({ keyspace, redis, prefix });
  const handler = createStreamHandler({
    dependencies: { engine, keyspace },
    metrics: createEmfMetrics({ write: () => undefined }),
  });
  const naive = async (records: DynamoDBRecord[]) => {
    // The slow path the project exists to beat: decode, then one awaited round trip per record.
    for (const record of records) {
      const event = decodeStreamRecord(record);
      await redis.del(entryKey(keyspace, 'product', { sku: (event.key as { pk: string }).pk }, prefix));
    }
  };
  const cdc = async (records: DynamoDBRecord[]) => {
    const response = await handler({ Records: records });
    if (response.batchItemFailures.length > 0)
      throw new Error(`unexpected failures: ${JSON.stringify(response)}`);
  };

  await time(redis, batches(WARMUP, 0), cdc);
  await time(redis, batches(WARMUP, 0), naive);
  const machine = machineFacts();
  const rtt = await redisRoundTrip(redis);
  // The limits, on the same records and keys: JSON.parse of each record's JSON (what the Lambda runtime
  // hands over), and a raw pipelined SET and UNLINK of every record's key, one pipeline per batch.
  const sample = batches(5, 0);
  const parseUs = parseCostUs(sample.flat().map((record) => Buffer.from(JSON.stringify(record))));
  const floor = await rawRedisFloor(
    redis,
    sample
      .flat()
      .map((record) => [entryKey(keyspace, 'product', { sku: record.dynamodb!.Keys!['pk']!.S! }, prefix)]),
    BATCH,
    1,
  );
  let cdcCpuUs = 0;
  // Rounds interleave the two handlers, so both see the same load on this shared machine; the ratio is
  // the median of the per-round ratios.
  const handlerMs: number[] = [];
  const naiveMs: number[] = [];
  const ratios: number[] = [];
  const perRound = Math.max(1, Math.round(BATCHES / NAIVE_BATCHES));
  for (let round = 0; round < NAIVE_BATCHES; round++) {
    handlerCpuUs = 0;
    const fast = await time(redis, batches(perRound, (WARMUP + round * perRound) * BATCH), cdc);
    cdcCpuUs += handlerCpuUs;
    const slow = await time(redis, batches(1, (round + 1) * 7 * BATCH), naive);
    handlerMs.push(...fast);
    naiveMs.push(...slow);
    ratios.push(sum(slow) / (sum(fast) / fast.length));
  }

  // Every key of the last batch must be gone: the figures count only work that was really done.
  const last = batches(1, 0)[0]!;
  await cdc(last);
  const left = await redis.exists(
    ...last
      .slice(0, 100)
      .map((record) => entryKey(keyspace, 'product', { sku: record.dynamodb!.Keys!['pk']!.S! }, prefix)),
  );
  if (left !== 0) throw new Error(`${left} keys survived the handler`);

  const recordsPerS = (handlerMs.length * BATCH) / (sum(handlerMs) / 1000);
  const naivePerS = (naiveMs.length * BATCH) / (sum(naiveMs) / 1000);
  console.log(
    `handler: ${BATCHES} batches of ${BATCH}: ${Math.round(recordsPerS)} records/s, p50 ${median(handlerMs).toFixed(2)} ms per batch`,
  );
  console.log(
    `naive:   ${NAIVE_BATCHES} batches of ${BATCH}: ${Math.round(naivePerS)} records/s, p50 ${median(naiveMs).toFixed(2)} ms per batch`,
  );
  console.log(`bundle:  dist-lambda/index.js ${bundleKb.toFixed(1)} KiB`);
  await engine.close();
  redis.disconnect();
  const cpuUsPerRecord = cdcCpuUs / (handlerMs.length * BATCH);
  console.log(
    JSON.stringify({
      bench: 'dynamodb',
      // Machine-independent: the handler's CPU per record against JSON.parse of the record, and its
      // throughput against a raw pipelined UNLINK of the same keys.
      cost_vs_parse: round(cpuUsPerRecord / parseUs, 2),
      ratio_vs_raw_unlink: round(recordsPerS / floor.unlink.events_per_s, 3),
      cpu_us_per_record: round(cpuUsPerRecord, 2),
      parse_us_per_record: round(parseUs, 2),
      raw_unlink_records_per_s: floor.unlink.events_per_s,
      redis_rtt_p50_us: rtt.rtt_p50_us,
      redis_rtt_p99_us: rtt.rtt_p99_us,
      records_per_s: Math.round(recordsPerS),
      naive_records_per_s: Math.round(naivePerS),
      ratio_vs_naive: Number(median(ratios).toFixed(1)),
      batch_ms_p50: Number(median(handlerMs).toFixed(2)),
      naive_batch_ms_p50: Number(median(naiveMs).toFixed(2)),
      bundle_kb: Number(bundleKb.toFixed(1)),
      batch_size: BATCH,
      batches: handlerMs.length,
      naive_batches: naiveMs.length,
      ...machine,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
