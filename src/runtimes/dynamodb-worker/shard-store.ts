import { CdcCacheError } from '../../errors';
import { internalKey } from '../../keyspace';
import type { RedisClient } from '../../redis/create-redis-client';
import { registerScripts, scriptCommand } from '../../redis/register-scripts';

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
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly table: string;
  /** This worker's unique token. */
  readonly owner: string;
  /** Lease duration; a worker that stops renewing loses its shards after this long. */
  readonly leaseMs: number;
  readonly now?: () => number;
}

const SCRIPTS = {
  shardLeaseClaim: 'shard-lease-claim-1.lua',
  shardLeaseRenew: 'shard-lease-renew-1.lua',
  shardLeaseRelease: 'shard-lease-release-1.lua',
};

type ScriptFn = (...args: (string | number)[]) => Promise<unknown>;

/**
 * The Redis implementation of {@link ShardStore}.
 *
 * @example
 * const store = createShardStore({ redis, prefix: 'shop:', table: 'Products', owner: randomUUID(), leaseMs: 30_000 })
 */
export function createShardStore(options: ShardStoreOptions): ShardStore {
  const { redis, prefix, table, owner, leaseMs } = options;
  const now = options.now ?? Date.now;
  registerScripts(redis, SCRIPTS);
  const script = (name: keyof typeof SCRIPTS) => {
    const command = (redis as unknown as Record<string, ScriptFn>)[scriptCommand(name)]!;
    return (...args: (string | number)[]) => unavailable(name, () => command.call(redis, ...args));
  };
  const [claimScript, renewScript, releaseScript] = [
    script('shardLeaseClaim'),
    script('shardLeaseRenew'),
    script('shardLeaseRelease'),
  ];
  const stateKey = (shardId: string) => internalKey(prefix, 'ckpt', table, shardId);
  const workersKey = internalKey(prefix, 'workers', table);

  return {
    async claim(shardId) {
      const [claimed, checkpoint] = (await claimScript(stateKey(shardId), owner, leaseMs)) as [
        number,
        string,
      ];
      return { claimed: claimed === 1, checkpoint: checkpoint ?? '' };
    },
    async checkpoint(shardId, sequenceNumber) {
      return (await renewScript(stateKey(shardId), owner, leaseMs, sequenceNumber, '')) === 1;
    },
    async renew(shardId) {
      return (await renewScript(stateKey(shardId), owner, leaseMs, '', '')) === 1;
    },
    async finish(shardId) {
      return (
        (await renewScript(stateKey(shardId), owner, leaseMs, SHARD_END, FINISHED_SHARD_RETENTION_MS)) === 1
      );
    },
    async release(shardId) {
      await releaseScript(stateKey(shardId), owner);
    },
    async checkpoints(shardIds) {
      const result = new Map<string, string>();
      if (shardIds.length === 0) return result;
      // One HGET per key (not a multi-key command), so it also works on Redis Cluster.
      const values = await unavailable('checkpoints', () =>
        Promise.all(shardIds.map((shardId) => redis.hget(stateKey(shardId), 'seq'))),
      );
      for (const [index, shardId] of shardIds.entries()) result.set(shardId, values[index] ?? '');
      return result;
    },
    async heartbeat() {
      const at = now();
      const [, , count] = await unavailable('heartbeat', () =>
        Promise.all([
          redis.zadd(workersKey, at, owner),
          redis.zremrangebyscore(workersKey, '-inf', at - leaseMs),
          redis.zcard(workersKey),
        ]),
      );
      return Math.max(1, count);
    },
    async leave() {
      await unavailable('leave', () => redis.zrem(workersKey, owner));
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
