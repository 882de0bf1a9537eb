// The Lambda side of `bench:dynamodb-e2e`, in its own process so its CPU time is its own: the stream handler
// (the bundle's `handler`), fed as Lambda's event source mapping feeds it: every shard of the table's stream
// polled from LATEST, each non-empty page handed over as one invocation. Argv[2]: JSON task. Prints
// `{"ready":true}` once it polls.
import { Redis } from 'ioredis';
import { createInvalidationEngine } from '../src/core/create-invalidation-engine';
import { keyspaceFromData } from '../src/keyspace';
import { createEmfMetrics, createStreamHandler } from '../src/lambda';
import { createStreamReader } from '../src/sources/dynamodb';

interface Task {
  readonly table: string;
  readonly keyspace: unknown;
  readonly prefix: string;
  readonly redisUrl: string;
  readonly endpoint: string;
  readonly region: string;
  /** Wait after an empty page (AWS polls a shard about 4 times a second). */
  readonly pollMs: number;
}

const task = JSON.parse(process.argv[2]!) as Task;

async function main(): Promise<void> {
  const keyspace = keyspaceFromData(task.keyspace);
  const redis = new Redis(task.redisUrl);
  const engine = createInvalidationEngine({ keyspace, redis, prefix: task.prefix });
  const handler = createStreamHandler({
    dependencies: { engine, keyspace },
    metrics: createEmfMetrics({ write: () => undefined }),
  });
  const reader = createStreamReader({ endpoint: task.endpoint, region: task.region });
  const { streamArn, shards } = await reader.describe(task.table);
  const iterators = await Promise.all(
    shards
      .filter((shard) => !shard.closed)
      .map((shard) => reader.getIterator(streamArn, shard.shardId, { type: 'LATEST' })),
  );
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  process.once('SIGTERM', () => process.exit(0));
  await Promise.all(
    iterators.map(async (first) => {
      let iterator: string | null = first;
      while (iterator) {
        const page = await reader.getRecords(streamArn, iterator, 1000);
        if (page.records.length > 0) {
          const response = await handler({ Records: page.records });
          if (response.batchItemFailures.length > 0)
            throw new Error(`unexpected failures: ${JSON.stringify(response.batchItemFailures)}`);
        } else await new Promise((resolve) => setTimeout(resolve, task.pollMs));
        iterator = page.nextIterator;
      }
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
