import type { DynamoDBRecord } from 'aws-lambda';
import type { WorkerLogger } from '../runtimes/kafka-worker/worker-logger';
import type { ShardStart, StreamReader } from '../sources/dynamodb';

/** Options of {@link followStream}. */
export interface FollowStreamOptions {
  readonly reader: StreamReader;
  readonly table: string;
  /** Where the shards open at start are read from; shards that appear later are read from their start. */
  readonly initialPosition: 'latest' | 'trim_horizon';
  readonly batchSize: number;
  /** Wait after an empty page. */
  readonly idleMs: number;
  /** How often the stream is described to find new shards. */
  readonly discoveryMs: number;
  /** Longest wait after a failed call. */
  readonly retryMaxMs: number;
  readonly onRecords: (records: readonly DynamoDBRecord[]) => void;
  readonly logger: WorkerLogger;
}

/** A running {@link followStream}. */
export interface StreamFollower {
  /** True once the first discovery found the stream and every shard has its starting position. */
  isReady(): boolean;
  stop(): Promise<void>;
}

/**
 * Read every shard of a table's stream, with positions kept in memory only: the auditor must never write
 * to Redis (where the DynamoDB worker keeps its checkpoints and shard leases), and an audit that restarts
 * may simply start again from the latest records. Every instance reads every shard.
 *
 * @example
 * const follower = followStream({ reader, table: 'Products', initialPosition: 'latest', ..., onRecords })
 * await follower.stop()
 */
export function followStream(options: FollowStreamOptions): StreamFollower {
  const { reader, table, logger } = options;
  const abort = new AbortController();
  const shards = new Map<string, Promise<void>>();
  let ready = false;
  let first = true;
  // Shards still waiting for their first iterator: a LATEST iterator marks where the audit begins.
  let unpositioned = 0;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        abort.signal.removeEventListener('abort', wake);
        resolve();
      }, ms);
      abort.signal.addEventListener('abort', wake, { once: true });
    });

  const follow = async (streamArn: string, shardId: string, start: ShardStart) => {
    let last: string | undefined;
    let iterator: string | null = null;
    let positioned = false;
    unpositioned += 1;
    while (!abort.signal.aborted) {
      try {
        iterator ??= await reader.getIterator(
          streamArn,
          shardId,
          last === undefined ? start : { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: last },
        );
        const page = await reader.getRecords(streamArn, iterator, options.batchSize);
        // Positioned once a first read answered (DynamoDB Local fixes a LATEST iterator only then).
        if (!positioned) {
          positioned = true;
          unpositioned -= 1;
        }
        if (page.records.length > 0) {
          options.onRecords(page.records);
          last = page.records.at(-1)!.dynamodb?.SequenceNumber ?? last;
        }
        if (page.nextIterator === null) return;
        iterator = page.nextIterator;
        if (page.records.length === 0) await sleep(options.idleMs);
      } catch (error) {
        logger.warn({ err: error, shardId }, 'cannot read the shard: retrying');
        iterator = null;
        await sleep(Math.min(options.retryMaxMs, 1_000));
      }
    }
  };

  const discover = async () => {
    const description = await reader.describe(table);
    for (const shard of description.shards) {
      if (shards.has(shard.shardId)) continue;
      // A shard closed before we started holds only old records; a new one is read from its start.
      if (first && shard.closed) continue;
      const start: ShardStart =
        first && options.initialPosition === 'latest' ? { type: 'LATEST' } : { type: 'TRIM_HORIZON' };
      shards.set(shard.shardId, follow(description.streamArn, shard.shardId, start));
    }
    first = false;
    ready = true;
  };

  const loop = (async () => {
    while (!abort.signal.aborted) {
      await discover().catch((error: unknown) =>
        logger.warn({ err: error, table }, 'cannot describe the stream'),
      );
      await sleep(options.discoveryMs);
    }
  })();

  return {
    isReady: () => ready && unpositioned === 0,
    async stop() {
      abort.abort();
      await loop;
      await Promise.all(shards.values());
    },
  };
}
