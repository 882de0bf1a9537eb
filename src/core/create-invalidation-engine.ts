import type { RedisOptions } from 'ioredis';
import { CdcCacheError } from '../errors';
import { generationKey, type Keyspace } from '../keyspace';
import type { Instrumentation } from '../observability/instrumentation';
import { checkEvictionPolicy } from '../redis/check-eviction-policy';
import { WORKER_COMMAND_TIMEOUT_MS } from '../redis/create-redis-client';
import { jsonSerializer, type Serializer } from '../redis/serializer';
import { type RedisPortInput, resolveRedisPort } from '../redis/to-redis-port';
import { applyActions, truncationKey } from './apply-actions';
import { CACHE_ACTION_KINDS, type CacheAction, type CacheActionKind } from './cache-action';
import type { ChangeEvent } from './change-event';
import { coalesceActions } from './coalesce-actions';
import { planActions } from './plan-actions';
import type { EventOutcome, InvalidationEngine } from './ports';
import { createReplicaAck, DEFAULT_REPLICA_ACK, type ReplicaAckOptions } from './replica-ack';
import { type RetryOptions, resolveRetryOptions } from './retry';

/** Options of {@link createInvalidationEngine}. */
export interface InvalidationEngineOptions {
  /** The keyspace shared with the SDK. */
  readonly keyspace: Keyspace;
  /**
   * A Redis URL or ioredis options (the engine opens an ioredis client), or an existing node-redis, ioredis
   * or Valkey GLIDE client, standalone or Cluster (never closed by the engine), or a Redis port.
   */
  readonly redis: RedisPortInput;
  /** Key prefix (deployment or tenant); defaults to the keyspace's prefix. Must match the SDK's. */
  readonly prefix?: string;
  /**
   * How long the version of each applied change is remembered (the versioned tombstone), beyond the entry's
   * own life: within it, a late duplicate or a replayed dead letter cannot write an older image back, and a
   * fill read from a snapshot older than the change is not cached. Raised to each entity's `maxReplicaLag`.
   * Default 5 minutes.
   */
  readonly tombstoneTtlMs?: number;
  /** Retries of retriable Redis errors. */
  readonly retry?: Partial<RetryOptions>;
  /** Instrumentation hub for metrics and logs; nothing is emitted without one. */
  readonly instrumentation?: Instrumentation;
  /** Serializer of refresh-mode images; must be the SDK's (default: the SDK's JSON serializer). */
  readonly serializer?: Serializer;
  /** Most tag members deleted per Redis call (at most 5000). Default 500. */
  readonly tagBatchSize?: number;
  /** Most keys per UNLINK command on standalone Redis. Default 500. */
  readonly unlinkBatchSize?: number;
  /**
   * Acknowledge a batch only once replicas hold it too (`WAIT` after each pipeline). Default: wait for every
   * connected replica (`'auto'`, nothing to wait for without replicas), 1 s timeout; a short WAIT is retried.
   */
  readonly replicaAck?: ReplicaAckOptions;
  /** Clock, in ms since the epoch (tests). */
  readonly now?: () => number;
}

/** Defaults of {@link InvalidationEngineOptions}. */
export const DEFAULT_ENGINE_OPTIONS = Object.freeze({
  tombstoneTtlMs: 5 * 60_000,
  tagBatchSize: 500,
  unlinkBatchSize: 500,
});

// A client the engine creates fails a command quickly when Redis is down; the engine's own retry decides.
const OWNED_CLIENT_DEFAULTS: RedisOptions = { maxRetriesPerRequest: 1, connectTimeout: 5000 };

/**
 * Create the engine every runtime drives: plan a batch of change events, coalesce duplicate keys, apply
 * them in one pipeline (one per node on Redis Cluster), and return one outcome per event in order.
 * Throws a retriable `CDC_REDIS_UNAVAILABLE` when Redis stays unreachable after the retries.
 *
 * @example
 * const engine = createInvalidationEngine({ keyspace, redis: process.env.CDC_CACHE_REDIS_URL! })
 * const outcomes = await engine.apply(events) // acknowledge each event whose outcome is not 'failed'
 */
export function createInvalidationEngine(options: InvalidationEngineOptions): InvalidationEngine {
  const { keyspace } = options;
  if (!keyspace || !(keyspace.entities instanceof Map)) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      'keyspace: required, the result of defineKeyspace or loadKeyspace',
    );
  }
  const prefix = options.prefix ?? keyspace.prefix;
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'prefix: must be a string without braces');
  }
  const tombstoneTtlMs = positiveInteger(
    'tombstoneTtlMs',
    options.tombstoneTtlMs,
    DEFAULT_ENGINE_OPTIONS.tombstoneTtlMs,
  );
  const tagBatchSize = positiveInteger(
    'tagBatchSize',
    options.tagBatchSize,
    DEFAULT_ENGINE_OPTIONS.tagBatchSize,
  );
  // The tag script unpacks the members onto Lua's stack, which holds about 8000 values.
  if (tagBatchSize > 5000) {
    throw new CdcCacheError('CDC_INVALID_OPTION', `tagBatchSize: must be at most 5000, got ${tagBatchSize}`);
  }
  const unlinkBatchSize = positiveInteger(
    'unlinkBatchSize',
    options.unlinkBatchSize,
    DEFAULT_ENGINE_OPTIONS.unlinkBatchSize,
  );
  const retry = resolveRetryOptions(options.retry);
  const serializer = options.serializer ?? jsonSerializer;
  if (typeof serializer?.serialize !== 'function') {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      'serializer: must have serialize(value) and deserialize(payload)',
    );
  }
  if (options.redis === undefined || options.redis === null) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'redis: required, a URL, ioredis options or a client');
  }
  const instrumentation = options.instrumentation;
  const now = options.now ?? Date.now;
  const redis = resolveRedisPort(options.redis, {
    ...OWNED_CLIENT_DEFAULTS,
    commandTimeout:
      WORKER_COMMAND_TIMEOUT_MS + (options.replicaAck?.timeoutMs ?? DEFAULT_REPLICA_ACK.timeoutMs),
  });
  const replicaAck = createReplicaAck(redis, options.replicaAck);
  const generationKeys = new Map(
    [...keyspace.entities.keys()].map((name) => [name, generationKey(prefix, name)] as const),
  );
  const truncationKeys = new Map(
    [...keyspace.entities.keys()].map((name) => [name, truncationKey(prefix, name)] as const),
  );
  const context = {
    redis,
    prefix,
    entities: keyspace.entities,
    generationKeys,
    truncationKeys,
    tombstoneTtlMs,
    tagBatchSize,
    unlinkBatchSize,
    retry,
    now,
    random: Math.random,
    replicaAck,
    onRetry: instrumentation
      ? (info: { attempt: number; delayMs: number; error: unknown }) =>
          instrumentation.emit('redis.retry', info)
      : undefined,
  };

  // Read once, before the first batch (listeners are attached by then): a policy that can evict cdc-cache's
  // own keys weakens its guarantees, and must be loud, but never stops the worker.
  let policyChecked: Promise<void> | undefined;
  const checkPolicy = () =>
    (policyChecked ??= checkEvictionPolicy(redis).then((check) => {
      instrumentation?.emit('redis.eviction-policy', check);
      // On stderr even where nobody listens to the event (the worker runtimes log it nowhere else).
      if (!check.safe) process.emitWarning(check.message, { code: 'CDC_CACHE_EVICTION_POLICY' });
    }));

  return {
    async apply(events: readonly ChangeEvent[]): Promise<EventOutcome[]> {
      await checkPolicy();
      const startedAt = performance.now();
      const plans = planActions(events, { keyspace, prefix, serializer });
      const { actions, indexOf } = coalesceActions(plans);
      // Counted once, for whichever batch listener asks first.
      let counts: Record<CacheActionKind, number> | undefined;
      const countsOf = () => {
        counts ??= countByKind(actions);
        return counts;
      };
      if (instrumentation?.has('batch.planned')) {
        instrumentation.emit('batch.planned', {
          events: events.length,
          planned: plans.reduce(
            (sum, plan) => sum + (plan.status === 'planned' ? plan.actions.length : 0),
            0,
          ),
          coalesced: actions.length,
          actions: countsOf(),
          planMs: performance.now() - startedAt,
        });
      }

      let errors: (Error | undefined)[] = [];
      if (actions.length > 0) {
        try {
          errors = await applyActions(actions, context);
        } catch (error) {
          instrumentation?.emit('redis.unavailable', { error: error as Error });
          throw error;
        }
      }
      const anyError = errors.some((error) => error !== undefined);
      const outcomes = plans.map((plan, index): EventOutcome => {
        if (plan.status === 'skipped') return plan;
        if (plan.status === 'failed') return plan;
        // An event fails when any key it planned failed (its action may have been coalesced with others).
        const error = anyError ? firstError(plan.actions, indexOf, errors) : undefined;
        if (!error) return appliedOutcome(plan.actions.length);
        return {
          status: 'failed',
          error: new CdcCacheError('CDC_REDIS_SCRIPT_FAILED', `Redis rejected an action: ${error.message}`, {
            cause: error,
            details: { table: events[index]!.table },
          }),
        };
      });

      if (instrumentation) emitOutcomes(instrumentation, events, plans, outcomes, countsOf, startedAt, now);
      return outcomes;
    },
    async close(): Promise<void> {
      // Closes only a client the engine opened itself.
      await redis.close();
    },
  };
}

function emitOutcomes(
  instrumentation: Instrumentation,
  events: readonly ChangeEvent[],
  plans: ReturnType<typeof planActions>,
  outcomes: readonly EventOutcome[],
  /** The actions by kind (counted once per batch). */
  countsOf: () => Readonly<Record<CacheActionKind, number>>,
  startedAt: number,
  now: () => number,
): void {
  const skipped = instrumentation.has('event.skipped');
  const failed = instrumentation.has('event.failed');
  const incomplete = instrumentation.has('event.incomplete-image');
  if (skipped || failed || incomplete) {
    outcomes.forEach((outcome, index) => {
      const event = events[index]!;
      if (skipped && outcome.status === 'skipped')
        instrumentation.emit('event.skipped', { event, reason: outcome.reason });
      if (failed && outcome.status === 'failed')
        instrumentation.emit('event.failed', { event, error: outcome.error });
      const plan = plans[index]!;
      if (incomplete && plan.status === 'planned' && plan.incomplete.length > 0) {
        instrumentation.emit('event.incomplete-image', { event, entities: plan.incomplete });
      }
    });
  }
  if (instrumentation.has('batch.applied')) {
    instrumentation.emit('batch.applied', {
      events,
      outcomes,
      actions: countsOf(),
      durationMs: performance.now() - startedAt,
      appliedAt: now(),
    });
  }
}

function firstError(
  actions: readonly CacheAction[],
  indexOf: ReadonlyMap<string, number>,
  errors: readonly (Error | undefined)[],
): Error | undefined {
  for (const action of actions) {
    const error = errors[indexOf.get(action.key)!];
    if (error) return error;
  }
  return undefined;
}

/**
 * Coalesced actions by kind, counted once per batch for the instrumentation. A batch holds long runs of one
 * kind: each run is added once, where a lookup of the count by kind name per action was one per key.
 */
function countByKind(actions: readonly CacheAction[]): Record<CacheActionKind, number> {
  const counts = Object.fromEntries(CACHE_ACTION_KINDS.map((kind) => [kind, 0])) as Record<
    CacheActionKind,
    number
  >;
  let kind: CacheActionKind | undefined;
  let run = 0;
  for (const action of actions) {
    if (action.kind === kind) {
      run++;
      continue;
    }
    if (kind !== undefined) counts[kind] += run;
    kind = action.kind;
    run = 1;
  }
  if (kind !== undefined) counts[kind] += run;
  return counts;
}

/** The outcome of an applied event of fewer than 64 actions, one shared frozen object per count. */
const APPLIED_OUTCOMES = Array.from({ length: 64 }, (_unused, actions) =>
  Object.freeze({ status: 'applied' as const, actions }),
);

function appliedOutcome(actions: number): EventOutcome {
  return APPLIED_OUTCOMES[actions] ?? { status: 'applied', actions };
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value <= 0) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `${name}: must be a whole number > 0, got ${String(value)}`,
    );
  }
  return value;
}
