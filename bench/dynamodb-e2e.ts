// npm run bench:dynamodb-e2e — commit to key invalidated through the real stack for both DynamoDB paths, on
// the same writes at the same time, each into its own key prefix: DynamoDB Local → its stream → the Lambda
// stream handler (polled as Lambda's event source mapping does, bench/dynamodb-lambda-child.ts), and
// DynamoDB Local → its stream → `cdc-cache worker dynamodb` (the poller, compiled CLI).
// 1. Throughput: BENCH_DDB_CHANGES item updates written 25 per BatchWriteItem, 4 requests in flight;
//    changes/s = changes / (first write -> the path invalidated the last one); each path's CPU per change.
// 2. Latency: BENCH_DDB_LATENCY_CHANGES single PutItems one after another; write returned -> key gone from
//    Redis (polled every millisecond), p50/p99 per path.
// The last line is JSON.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { Redis } from 'ioredis';
import { percentile } from '../scripts/demo/percentiles';
import { stackEndpoints } from '../scripts/stack/stack-endpoints';
import { uniqueName } from '../scripts/stack/unique-name';
import { BenchChildren } from './support/bench-children';
import { deleteKeysWithPrefix, machineFacts, processCpuUs, redisRoundTrip, round } from './support/limits';
import {
  commitToGoneLatencies,
  cpuUsPerChange,
  latenciesMs,
  percentileMs,
  queryRoundTripMs,
  timeEachPath,
  waitUntilStreaming,
} from './support/paths';

const CHANGES = Number(process.env['BENCH_DDB_CHANGES'] ?? 2_000);
const LATENCY_CHANGES = Number(process.env['BENCH_DDB_LATENCY_CHANGES'] ?? 100);
const POLL_MS = Number(process.env['BENCH_DDB_POLL_MS'] ?? 250);
const IDLE_MS = Number(process.env['BENCH_DDB_IDLE_MS'] ?? 50);

const stack = stackEndpoints();
const table = uniqueName('bench_ddb');
const lambdaPrefix = `${uniqueName('bddbl')}:`;
const pollerPrefix = `${uniqueName('bddbp')}:`;
const keyspaceData = {
  entities: {
    product: { key: 'product:{sku}', ttl: '5m', sources: [{ dynamodb: table, fields: { sku: 'pk' } }] },
  },
};
const children = new BenchChildren();
const { endpoint, region, credentials } = stack.dynamodb;
const awsEnv = {
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
};

/** Resolves once `child` printed `{"ready":true}`; rejects if it exits first. */
function whenReady(child: ChildProcess, name: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('"ready"')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
  });
}

const item = (id: number, round: number) => ({
  pk: `sku-${id}`,
  name: `Product ${id}`,
  price: round,
  stock: id % 97,
});

async function main(): Promise<void> {
  const machine = machineFacts();
  const dynamodb = new DynamoDBClient({ endpoint, region, credentials });
  const redis = new Redis(stack.redis.url);
  const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-bench-ddb-'));
  const keyspacePath = join(directory, 'keyspace.json');
  writeFileSync(keyspacePath, JSON.stringify(keyspaceData));
  await dynamodb.send(
    new CreateTableCommand({
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: dynamodb, maxWaitTime: 30 }, { TableName: table });
  try {
    const lambda = await whenReady(
      children.start(
        [
          join(__dirname, 'dynamodb-lambda-child.js'),
          JSON.stringify({
            table,
            keyspace: keyspaceData,
            prefix: lambdaPrefix,
            redisUrl: stack.redis.url,
            endpoint,
            region,
            pollMs: POLL_MS,
          }),
        ],
        awsEnv,
        'pipe',
      ),
      'the Lambda handler child',
    );
    const poller = children.startWorker(
      ['dynamodb', '--table', table, '--idle-ms', String(IDLE_MS), '--discovery-ms', '1000'],
      {
        ...awsEnv,
        CDC_CACHE_DYNAMODB_ENDPOINT: endpoint,
        CDC_CACHE_KEYSPACE: keyspacePath,
        CDC_CACHE_REDIS_URL: stack.redis.url,
        CDC_CACHE_KEY_PREFIX: pollerPrefix,
        CDC_CACHE_REDIS_WAIT_REPLICAS: 'off',
      },
    );
    const key = (prefix: string, id: number) => `${prefix}product:sku-${id}`;
    const gone = async (prefix: string, id: number) => (await redis.exists(key(prefix, id))) === 0;
    const mark = (ids: number[]) =>
      redis.mset(...ids.flatMap((id) => [key(lambdaPrefix, id), 'x', key(pollerPrefix, id), 'x']));
    const put = (id: number, version: number) =>
      dynamodb.send(new PutItemCommand({ TableName: table, Item: marshall(item(id, version)) }));

    // Both paths stream once a probe change reaches them.
    await waitUntilStreaming(
      {
        mark: (id) => mark([id]),
        change: (n) => put(0, n),
        gone: { lambda: (id) => gone(lambdaPrefix, id), poller: (id) => gone(pollerPrefix, id) },
      },
      120_000,
    );
    const rtt = await redisRoundTrip(redis);
    // DynamoDB's own round trip: one write, what every change pays at least.
    const writeP50 = (await queryRoundTripMs(() => put(CHANGES + LATENCY_CHANGES + 10, 0)))!;

    // 1. Throughput on the same writes, 25 items per BatchWriteItem, 4 requests in flight; the last key marks the end.
    const ids = Array.from({ length: CHANGES }, (_unused, index) => index + 1);
    await mark([...ids, CHANGES + 1]);
    const cpuBefore = { lambda: processCpuUs(lambda.pid!), poller: processCpuUs(poller.pid!) };
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < ids.length) {
          const slice = ids.slice(next, next + 25);
          next += 25;
          await dynamodb.send(
            new BatchWriteItemCommand({
              RequestItems: { [table]: slice.map((id) => ({ PutRequest: { Item: marshall(item(id, 1)) } })) },
            }),
          );
        }
      }),
    );
    await put(CHANGES + 1, 1);
    const writtenMs = performance.now() - started;
    const finished = await timeEachPath(
      { lambda: () => gone(lambdaPrefix, CHANGES + 1), poller: () => gone(pollerPrefix, CHANGES + 1) },
      started,
      { description: 'both paths applied every change', timeoutMs: 300_000 },
    );
    const changes = CHANGES + 1;
    const cpu = {
      lambda: cpuUsPerChange(lambda.pid!, cpuBefore.lambda, changes, 1),
      poller: cpuUsPerChange(poller.pid!, cpuBefore.poller, changes, 1),
    };

    // 2. Write-to-invalidated latency, one change at a time.
    const timings = await commitToGoneLatencies({
      changes: LATENCY_CHANGES,
      mark: (id) => mark([id]),
      commit: (id) => put(id, 2),
      gone: { lambda: (id) => gone(lambdaPrefix, id), poller: (id) => gone(pollerPrefix, id) },
    });
    const latencies = { lambda: latenciesMs(timings.lambda), poller: latenciesMs(timings.poller) };
    const floorMs = writeP50 + rtt.rtt_p50_us / 1000;
    const result = {
      bench: 'dynamodb-e2e',
      // Machine-independent: write -> key invalidated against one DynamoDB write plus one Redis round trip
      // (what any path pays at least), and each path's CPU per change.
      lambda_p50_vs_round_trips: round(percentile(latencies.lambda, 50)! / floorMs, 1),
      poller_p50_vs_round_trips: round(percentile(latencies.poller, 50)! / floorMs, 1),
      lambda_cpu_us_per_change: cpu.lambda,
      poller_cpu_us_per_change: cpu.poller,
      lambda_p50_ms: percentileMs(latencies.lambda, 50),
      lambda_p99_ms: percentileMs(latencies.lambda, 99),
      poller_p50_ms: percentileMs(latencies.poller, 50),
      poller_p99_ms: percentileMs(latencies.poller, 99),
      lambda_changes_per_s: Math.round((changes / finished.lambda) * 1000),
      poller_changes_per_s: Math.round((changes / finished.poller) * 1000),
      write_changes_per_s: Math.round((changes / writtenMs) * 1000),
      dynamodb_write_p50_ms: round(writeP50, 2),
      redis_rtt_p50_us: rtt.rtt_p50_us,
      redis_rtt_p99_us: rtt.rtt_p99_us,
      lambda_poll_ms: POLL_MS,
      poller_idle_ms: IDLE_MS,
      changes,
      latency_changes: LATENCY_CHANGES,
      ...machine,
    };
    console.log(
      `lambda handler: ${result.lambda_changes_per_s} changes/s, p50 ${result.lambda_p50_ms} ms, p99 ${result.lambda_p99_ms} ms`,
    );
    console.log(
      `poller:         ${result.poller_changes_per_s} changes/s, p50 ${result.poller_p50_ms} ms, p99 ${result.poller_p99_ms} ms`,
    );
    console.log(JSON.stringify(result));
  } finally {
    await children.stopAll();
    await dynamodb.send(new DeleteTableCommand({ TableName: table })).catch(() => undefined);
    for (const prefix of [lambdaPrefix, pollerPrefix]) await deleteKeysWithPrefix(redis, prefix);
    dynamodb.destroy();
    redis.disconnect();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
