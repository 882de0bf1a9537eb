import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { deleteKeysWithPrefix } from './limits';
import { startNearCacheReaders } from './near-cache-readers';

/** Invalidation-to-eviction latency of near caches in other processes, in ms. */
export interface NearInvalidationLatency {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

/**
 * Fork `processes` readers that hold a key in their near caches, delete the key `samples` times as the
 * worker would (UNLINK), and measure, per process, from the moment the delete is sent to the moment the key
 * leaves that process's near cache (both clocks are `performance.timeOrigin + performance.now()` on one
 * machine).
 *
 * @example
 * const { p50Ms, p99Ms } = await measureNearInvalidation({ redisUrl, processes: 3, samples: 200 })
 */
export async function measureNearInvalidation(options: {
  readonly redisUrl: string;
  readonly processes: number;
  readonly samples: number;
}): Promise<NearInvalidationLatency> {
  const prefix = `bench:near:${randomBytes(4).toString('hex')}:`;
  const dbPrefix = `${prefix}db:`;
  const redis = new Redis(options.redisUrl);
  const ids = [1, 2, 3, 4];
  await Promise.all(ids.map((id) => redis.set(`${dbPrefix}${id}`, JSON.stringify({ id, name: 'row' }))));
  const readers = await startNearCacheReaders(options.processes, {
    mode: 'latency',
    redisUrl: options.redisUrl,
    prefix,
    dbPrefix,
    ids,
    concurrency: 0,
    pauseMs: 0,
  });
  const latencies: number[] = [];
  let waiting: { key: string; sentAt: number; left: Set<number>; done: () => void } | undefined;
  readers.onReply((reply, process) => {
    if (reply.type !== 'evicted' || !waiting || reply.key !== waiting.key || !waiting.left.has(process))
      return;
    latencies.push(reply.at - waiting.sentAt);
    waiting.left.delete(process);
    if (waiting.left.size === 0) waiting.done();
  });
  try {
    for (let sample = 0; sample < options.samples; sample++) {
      const id = ids[sample % ids.length]!;
      const armed = await readers.ask({ type: 'arm', id }, 'armed');
      const key = armed[0]!.key;
      await new Promise<void>((done) => {
        waiting = {
          key,
          sentAt: performance.timeOrigin + performance.now(),
          left: new Set(Array.from({ length: options.processes }, (_, index) => index)),
          done,
        };
        void redis.unlink(key);
      });
    }
  } finally {
    await readers.stop();
    await deleteKeysWithPrefix(redis, prefix);
    redis.disconnect();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99), samples: sorted.length };
}
