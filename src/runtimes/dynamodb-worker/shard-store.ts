import { CdcCacheError } from '../../errors';
import { internalKey } from '../../keyspace';
import { replyOrThrow } from '../../redis/create-redis-port';
import { scripts } from '../../redis/scripts';
import { type AnyRedisClient, toRedisPort } from '../../redis/to-redis-port';

/**
 * The checkpoint value of a shard read to its end: its children may start.
 * (Real checkpoints are sequence numbers, all digits, so this can never collide with one.)
 */
export const SHARD_END = 'SHARD_END';

/** Checkpoints of finished shards are kept this long (stream records live 24 hours) so children can start. */
const FINISHED_SHARD_RETENTION_MS = 48 * 3600_000;

/** What a claim tells: whether the lease is ours, and the shard's checkpoint ('' when never read). */
export interface ShardClaim {
  readonly claimed: boolean;
  readonly checkpoint: string;
}

/**
 * Leases and checkpoints of a table's stream shards, kept in Redis.
 *
 * Why Redis and not a DynamoDB table: a checkpoint says "Redis has applied every action up to here", so it
 * belongs in the same Redis. Redis replicates writes in order, so if a failover loses acknowledged
 * deletes, it loses the later checkpoint with them, and the worker replays exactly what was lost. A
 * checkpoint kept elsewhere would survive that failover and the lost deletes would never be replayed (a
 * stale value would live until its TTL). It also needs no extra table, IAM permissions or capacity, and
 * the state of a shard (owner, lease expiry, checkpoint) is one hash, `internalKey(prefix, 'ckpt', table,
 * shardId)`, so a checkpoint is fenced by the lease in one atomic script, on one Cluster slot.
 * Run Redis with a `volatile-*` or `noeviction` maxmemory policy: these keys have no TTL and must not be
 * evicted (an evicted checkpoint only costs a replay from the trim horizon, but a replay of up to 24 hours).
 *
 * @example
 * const store = createShardStore({ redis, prefix: '', table: 'Products', owner: 'worker-1', leaseMs: 30_000 })
 * const { claimed, checkpoint } = await store.claim('shardId-0001')
 */
export interface ShardStore {
  /** Take the lease if free, expired or ours. */
  claim(shardId: string): Promise<ShardClaim>;
  /** Extend the lease and record a checkpoint; false when the lease is no longer ours (nothing written). */
  checkpoint(shardId: string, sequenceNumber: string): Promise<boolean>;
  /** Extend the lease; false when it is no longer ours. */
  renew(shardId: string): Promise<boolean>;
  /** Mark the shard read to its end (its children may start) and let its state expire after a while. */
  finish(shardId: string): Promise<boolean>;
  /** Give the lease up, keeping the checkpoint. */
  release(shardId: string): Promise<void>;
  /** The checkpoints of several shards ('' when none), in one round trip. */
  checkpoints(shardIds: readonly string[]): Promise<Map<string, string>>;
  /** Record this worker as alive; resolves to the number of live workers (for a fair share of shards). */
  heartbeat(): Promise<number>;
  /** Forget this worker (graceful shutdown). */
  leave(): Promise<void>;
}

/** Options of {@link createShardStore}. */
export interface ShardStoreOptions {
  /** A node-redis, ioredis or GLIDE client, or a port; never closed by the store. */
  readonly redis: AnyRedisClient;
  readonly prefix: string;
  readonly table: string;
  /** This worker's unique token. */
  readonly owner: string;
  /** Lease duration; a worker that stops renewing loses its shards after this long. */
  readonly leaseMs: number;
  readonly now?: () => number;
}

/**
 * The Redis implementation of {@link ShardStore}.
 *
 * @example
 * const store = createShardStore({ redis, prefix: 'shop:', table: 'Products', owner: randomUUID(), leaseMs: 30_000 })
 */
export function createShardStore(options: ShardStoreOptions): ShardStore {
  const { prefix, table, owner, leaseMs } = options;
  const redis = toRedisPort(options.redis);
  const now = options.now ?? Date.now;
  const renew = (operation: string, shardId: string, checkpoint: string, expireAfterMs: string | number) =>
    unavailable(operation, () =>
      scripts.shardLeaseRenew.run(redis, [stateKey(shardId)], [owner, leaseMs, checkpoint, expireAfterMs]),
    );
  const stateKey = (shardId: string) => internalKey(prefix, 'ckpt', table, shardId);
  const workersKey = internalKey(prefix, 'workers', table);

  return {
    async claim(shardId) {
      const [claimed, checkpoint] = await unavailable('claim', () =>
        scripts.shardLeaseClaim.run(redis, [stateKey(shardId)], [owner, leaseMs]),
      );
      return { claimed: claimed === 1, checkpoint };
    },
    async checkpoint(shardId, sequenceNumber) {
      return (await renew('checkpoint', shardId, sequenceNumber, '')) === 1;
    },
    async renew(shardId) {
      return (await renew('renew', shardId, '', '')) === 1;
    },
    async finish(shardId) {
      return (await renew('finish', shardId, SHARD_END, FINISHED_SHARD_RETENTION_MS)) === 1;
    },
    async release(shardId) {
      await unavailable('release', () => scripts.shardLeaseRelease.run(redis, [stateKey(shardId)], [owner]));
    },
    async checkpoints(shardIds) {
      const result = new Map<string, string>();
      if (shardIds.length === 0) return result;
      // One HGET per key (not a multi-key command), so it also works on Redis Cluster; one round trip.
      const values = await unavailable('checkpoints', async () =>
        (await redis.batch(shardIds.map((shardId) => ['HGET', stateKey(shardId), 'seq']))).map(replyOrThrow),
      );
      for (const [index, shardId] of shardIds.entries()) {
        const value = values[index];
        result.set(shardId, typeof value === 'string' ? value : '');
      }
      return result;
    },
    async heartbeat() {
      const at = now();
      const replies = await unavailable('heartbeat', async () =>
        (
          await redis.batch([
            ['ZADD', workersKey, at, owner],
            ['ZREMRANGEBYSCORE', workersKey, '-inf', at - leaseMs],
            ['ZCARD', workersKey],
          ])
        ).map(replyOrThrow),
      );
      return Math.max(1, Number(replies[2]));
    },
    async leave() {
      await unavailable('leave', () => redis.command(['ZREM', workersKey, owner]));
    },
  };
}

async function unavailable<T>(operation: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new CdcCacheError(
      'CDC_REDIS_UNAVAILABLE',
      `shard store ${operation} failed: ${(error as Error).message}`,
      {
        cause: error,
        retriable: true,
      },
    );
  }
}
