import { CdcCacheError } from '../errors';
import type { RedisNode, RedisPort } from '../redis/redis-port';
import { redisFault } from './retry';

/**
 * How many replicas must hold a write before it counts as acknowledged (`WAIT numreplicas timeout`):
 * `'auto'` waits for the most replicas seen connected to this primary (INFO replication
 * `connected_slaves`, re-read every {@link REPLICA_COUNT_TTL_MS}), so a server without replicas pays
 * nothing; `'off'` never waits; a number waits for that many.
 *
 * Why the most seen, not the count now: a replica that disconnects is exactly the window in which the
 * primary's writes would be lost by a failover, so its absence must not lower the bar. The count starts
 * again from what is connected when the primary changes (a new `master_replid`: a promoted replica).
 * A replica removed for good therefore stalls acknowledgement (loudly) until the worker restarts.
 */
export type ReplicaAckSetting = number | 'auto' | 'off';

/** Options of {@link createReplicaAck}. */
export interface ReplicaAckOptions {
  /** Replicas to wait for. Default `'auto'`. */
  readonly replicas?: ReplicaAckSetting;
  /** How long one WAIT may take before the batch counts as not acknowledged (retried). Default 1000 ms. */
  readonly timeoutMs?: number;
  /** Clock, in ms (tests). */
  readonly now?: () => number;
}

/** Defaults of {@link ReplicaAckOptions}. */
export const DEFAULT_REPLICA_ACK = Object.freeze({ replicas: 'auto' as ReplicaAckSetting, timeoutMs: 1000 });

/** How long a replica count read from INFO is trusted. */
export const REPLICA_COUNT_TTL_MS = 10_000;

/** The replica acknowledgement of one engine: what to WAIT for, and whether a WAIT reply is enough. */
export interface ReplicaAck {
  /** The replicas a pipeline sent to `node` ('' on standalone, `host:port` on Cluster) must wait for; 0: none. */
  replicasFor(node: string): Promise<number>;
  /** The WAIT timeout in ms. */
  readonly timeoutMs: number;
  /** `undefined` when `acknowledged` replicas are enough, else the retriable error that says why not. */
  check(acknowledged: unknown, required: number, node: string): CdcCacheError | undefined;
}

/**
 * Build the replica acknowledgement step of the engine (issue: a failover that loses the last writes of an
 * asynchronously replicated primary would otherwise leave stale values behind an acknowledged offset).
 * A WAIT that returns fewer replicas than required is an infrastructure fault: retriable, never a success.
 *
 * @example
 * const ack = createReplicaAck(client, { replicas: 'auto', timeoutMs: 1000 })
 * const need = await ack.replicasFor('') // then pipeline.wait(need, ack.timeoutMs)
 */
export function createReplicaAck(redis: RedisPort, options: ReplicaAckOptions = {}): ReplicaAck {
  const replicas = options.replicas ?? DEFAULT_REPLICA_ACK.replicas;
  const timeoutMs = options.timeoutMs ?? DEFAULT_REPLICA_ACK.timeoutMs;
  if (!(replicas === 'auto' || replicas === 'off' || (Number.isInteger(replicas) && replicas >= 0))) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `replicaAck.replicas: 'auto', 'off' or a whole number >= 0, got ${String(replicas)}`,
    );
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `replicaAck.timeoutMs: a whole number > 0, got ${String(timeoutMs)}`,
    );
  }
  const now = options.now ?? Date.now;
  const counts = new Map<string, { count: number; at: number; replid: string }>();

  const connectedReplicas = async (node: string): Promise<number> => {
    const cached = counts.get(node);
    if (cached && now() - cached.at < REPLICA_COUNT_TTL_MS) return cached.count;
    let info: string;
    try {
      info = String(await (await primaryAt(redis, node)).command(['INFO', 'replication']));
    } catch (error) {
      // An ACL user without INFO cannot learn its replicas: 'auto' then waits for none (documented);
      // set a number to wait regardless.
      if (redisFault(error) !== 'permission') throw error;
      info = '';
    }
    const connected = Number(/connected_slaves:(\d+)/.exec(info)?.[1] ?? 0);
    const replid = /master_replid:(\w+)/.exec(info)?.[1] ?? '';
    const count = cached && cached.replid === replid ? Math.max(cached.count, connected) : connected;
    counts.set(node, { count, at: now(), replid });
    return count;
  };

  return {
    timeoutMs,
    async replicasFor(node) {
      if (replicas === 'off') return 0;
      if (replicas === 'auto') return connectedReplicas(node);
      return replicas;
    },
    check(acknowledged, required, node) {
      if (Number(acknowledged) >= required) return undefined;
      // Re-read INFO next time: a failover may have put another primary behind this address.
      const cached = counts.get(node);
      if (cached) counts.set(node, { ...cached, at: Number.NEGATIVE_INFINITY });
      return new CdcCacheError(
        'CDC_REDIS_UNAVAILABLE',
        `WAIT: ${Number(acknowledged)} of ${required} replicas acknowledged within ${timeoutMs} ms${node ? ` on ${node}` : ''}`,
        { retriable: true, details: { fault: 'replication', acknowledged: Number(acknowledged), required } },
      );
    },
  };
}

async function primaryAt(redis: RedisPort, node: string): Promise<RedisNode> {
  const primaries = await redis.primaries();
  const found = redis.cluster ? primaries.find((candidate) => candidate.address === node) : primaries[0];
  if (!found) {
    throw new CdcCacheError('CDC_REDIS_UNAVAILABLE', `no Redis Cluster primary at ${node}`, {
      retriable: true,
      details: { fault: 'server-state' },
    });
  }
  return found;
}
