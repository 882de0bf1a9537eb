import calculateSlot from 'cluster-key-slot';
import { type EntitySpec, generationMemoryKey, newGeneration, tagSetTtlMs, versionKey } from '../keyspace';
import type { BatchEntry, RedisPort } from '../redis/redis-port';
import { pushTombstoneRun, scripts } from '../redis/scripts';
import type { CacheAction } from './cache-action';
import { invalidateClusterTags, waitOnEveryPrimary } from './cluster-tags';
import { appendReplicaWait, execBatch, type Sent } from './exec-pipeline';
import { type EntityState, readEntityState } from './read-entity-state';
import type { ReplicaAck } from './replica-ack';
import { isRetriableRedisError, type RetryListener, type RetryOptions, retry } from './retry';

export { truncationKey } from './truncation-key';

/** What {@link applyActions} needs besides the actions. */
export interface ApplyContext {
  /** Redis, through the port (any client library). */
  readonly redis: RedisPort;
  /** Key prefix (deployment or tenant), for the version memory keys. */
  readonly prefix: string;
  /** Entities by name, for TTLs of refreshed values. */
  readonly entities: ReadonlyMap<string, EntitySpec>;
  /** Generation keys by entity name (prefix applied). */
  readonly generationKeys: ReadonlyMap<string, string>;
  /** Truncation keys by entity name (see {@link truncationKey}). */
  readonly truncationKeys: ReadonlyMap<string, string>;
  /** How long the version of an applied change is remembered (raised to an entity's maxReplicaLag). */
  readonly tombstoneTtlMs: number;
  /** Most tag members deleted per Redis call. */
  readonly tagBatchSize: number;
  /** Most keys per UNLINK command. */
  readonly unlinkBatchSize: number;
  readonly retry: RetryOptions;
  readonly now: () => number;
  readonly random: () => number;
  readonly onRetry?: RetryListener;
  /** Replica acknowledgement (WAIT) after each pipeline; none when absent. */
  readonly replicaAck?: ReplicaAck;
}

/**
 * Apply coalesced actions: one batch through the port (one round trip per node on Redis Cluster), retrying
 * what failed with a retriable error until it succeeds or the retries run out (then a retriable
 * `CDC_REDIS_UNAVAILABLE` error is thrown and nothing may be acknowledged).
 * Resolves to one entry per action: `undefined` when Redis acknowledged it, else the non-retriable error.
 *
 * @example
 * const errors = await applyActions(coalesceActions(plans).actions, context)
 */
export async function applyActions(
  actions: readonly CacheAction[],
  context: ApplyContext,
): Promise<(Error | undefined)[]> {
  const results: (Error | undefined)[] = new Array(actions.length).fill(undefined);
  let pending = actions.map((_action, index) => index);
  await retry(
    async () => {
      const failures = await applyOnce(actions, pending, context);
      const again: number[] = [];
      let retriable: unknown;
      for (const [index, error] of failures) {
        if (isRetriableRedisError(error)) {
          again.push(index);
          retriable ??= error;
        } else results[index] = error;
      }
      pending = again;
      if (retriable !== undefined) throw retriable;
    },
    context.retry,
    { onRetry: context.onRetry },
  );
  return results;
}

/** The batch being built: its entries, what each stands for, and the gathered deletes. */
interface Round {
  readonly batch: BatchEntry[];
  readonly sent: Sent[];
  /** Standalone: unversioned deletes gathered into UNLINKs (entry, memory, ...). */
  unlink: string[];
  unlinkOwners: number[];
  /** Versioned tombstones gathered into one script call per slot (Cluster) or per batch (standalone). */
  readonly tombstones: Map<number, TombstoneCall>;
}

/** The arguments of one write-tombstones-n.lua call and the actions it stands for. */
interface TombstoneCall {
  /** Entry, memory, entry, memory, ... */
  readonly keys: string[];
  /** The pieces of the finished runs of consecutive entries with one version, memory ttl and transaction. */
  readonly runs: string[];
  /** The run under way: its version, memory ttl, transaction and how many entries it covers so far. */
  version: string;
  ttlMs: number;
  transactionId: string;
  entries: number;
  readonly owners: number[];
}

function send(round: Round, entry: BatchEntry, command: Sent): void {
  round.batch.push(entry);
  round.sent.push(command);
}

function flushUnlink(round: Round): void {
  if (round.unlink.length === 0) return;
  send(round, ['UNLINK', ...round.unlink], { actions: round.unlinkOwners });
  round.unlink = [];
  round.unlinkOwners = [];
}

function flushTombstones(round: Round, slot: number, call: TombstoneCall): void {
  pushTombstoneRun(call.runs, call.version, call.ttlMs, call.transactionId, call.entries);
  send(round, scripts.writeTombstones.call(call.keys, [call.runs.join('')]), { actions: call.owners });
  round.tombstones.delete(slot);
}

async function applyOnce(
  actions: readonly CacheAction[],
  pending: readonly number[],
  context: ApplyContext,
): Promise<Map<number, Error>> {
  const failures = new Map<number, Error>();
  let state: EntityState;
  try {
    state = await readEntityState(actions, pending, context);
  } catch (error) {
    for (const index of pending) failures.set(index, error as Error);
    return failures;
  }

  const { cluster } = context.redis;
  const tagIndexes: number[] = [];
  const round: Round = { batch: [], sent: [], unlink: [], unlinkOwners: [], tombstones: new Map() };
  const memoryTtl = (entity: string) =>
    Math.max(context.tombstoneTtlMs, context.entities.get(entity)?.maxReplicaLagMs ?? 0);
  // The entry and its memory share a slot (the memory's hash tag is the entry key), so a script call may
  // hold the tombstones of every key of one slot; on standalone, of every key.
  const tombstone = (index: number, key: string, entity: string, version: string, transactionId = '') => {
    const slot = cluster ? calculateSlot(key) : 0;
    const ttlMs = memoryTtl(entity);
    let call = round.tombstones.get(slot);
    if (!call) {
      call = { keys: [], runs: [], version, ttlMs, transactionId, entries: 0, owners: [] };
      round.tombstones.set(slot, call);
    }
    call.keys.push(key, versionKey(context.prefix, key));
    // The keys of one change are adjacent and share its version, ttl and transaction: one run of them.
    if (call.version !== version || call.ttlMs !== ttlMs || call.transactionId !== transactionId) {
      pushTombstoneRun(call.runs, call.version, call.ttlMs, call.transactionId, call.entries);
      call.version = version;
      call.ttlMs = ttlMs;
      call.transactionId = transactionId;
      call.entries = 0;
    }
    call.entries++;
    call.owners.push(index);
    if (call.owners.length >= context.unlinkBatchSize) flushTombstones(round, slot, call);
  };

  const now = context.now();
  const memberships: number[] = [];
  // Tag invalidations first: a refresh of this batch then joins its tag sets after they were emptied,
  // instead of being deleted by the invalidation its own event planned.
  const ordered = pending.some((index) => actions[index]!.kind === 'invalidate-tag')
    ? [
        ...pending.filter((index) => actions[index]!.kind === 'invalidate-tag'),
        ...pending.filter((index) => actions[index]!.kind !== 'invalidate-tag'),
      ]
    : pending;
  for (const index of ordered) {
    const action = actions[index]!;
    if (action.kind === 'invalidate-tag' && cluster) {
      tagIndexes.push(index);
      continue;
    }
    switch (action.kind) {
      case 'delete': {
        const memory = versionKey(context.prefix, action.key);
        if ((context.entities.get(action.entity)?.maxReplicaLagMs ?? 0) > 0) {
          // The time of the change is remembered for the entity's fills held off by maxReplicaLag.
          tombstone(index, action.key, action.entity, '');
        } else if (cluster) {
          // The entry and its memory share a slot (hash tag): one UNLINK.
          send(round, ['UNLINK', action.key, memory], { actions: [index] });
        } else {
          round.unlink.push(action.key, memory);
          round.unlinkOwners.push(index);
          if (round.unlink.length >= context.unlinkBatchSize) flushUnlink(round);
        }
        break;
      }
      case 'refresh': {
        const truncatedAt = state.truncatedAt.get(action.entity);
        if (truncatedAt !== undefined && action.version <= truncatedAt) {
          // Older than a truncate of its table: the row it would write back is gone.
          tombstone(index, action.key, action.entity, action.version, action.transactionId);
          break;
        }
        const entity = context.entities.get(action.entity)!;
        const ttlMs = entity.ttlMs + Math.floor(context.random() * entity.ttlJitter * entity.ttlMs);
        send(
          round,
          scripts.refreshEntry.call(
            [action.key, versionKey(context.prefix, action.key)],
            [
              state.generations.get(action.entity)!,
              action.version,
              now,
              now + ttlMs,
              ttlMs + entity.graceMs,
              action.payload,
              memoryTtl(action.entity),
              action.transactionId ?? '',
            ],
          ),
          { actions: [index] },
        );
        if (action.tags.length > 0) memberships.push(index);
        break;
      }
      case 'tombstone':
        tombstone(index, action.key, action.entity, action.version, action.transactionId);
        break;
      case 'bump-generation':
        // One script: the truncate version and the generation memory, then the new generation.
        send(
          round,
          scripts.bumpGeneration.call(
            [
              action.key,
              context.truncationKeys.get(action.entity)!,
              generationMemoryKey(context.prefix, action.entity),
            ],
            [action.version, newGeneration(), memoryTtl(action.entity), action.transactionId ?? ''],
          ),
          { actions: [index] },
        );
        break;
      case 'invalidate-tag':
        send(round, scripts.invalidateTag.call([action.key], [context.tagBatchSize]), {
          actions: [index],
          tag: true,
        });
        break;
    }
  }
  // A refreshed entry joins its tag sets (each set lives at least as long as the entry), as an SDK fill does.
  for (const index of memberships) {
    const action = actions[index] as Extract<CacheAction, { kind: 'refresh' }>;
    const tagTtlMs = tagSetTtlMs(context.entities.get(action.entity)!);
    for (const tag of action.tags) {
      send(round, scripts.addTagMember.call([tag], [action.key, tagTtlMs]), { actions: [index] });
    }
  }
  flushUnlink(round);
  for (const [slot, call] of round.tombstones) flushTombstones(round, slot, call);
  const executions: Promise<void>[] = [];
  if (round.batch.length > 0) executions.push(execRound(round, actions, failures, context));
  if (tagIndexes.length > 0) executions.push(invalidateClusterTags(actions, tagIndexes, context, failures));
  await Promise.all(executions);
  // On Cluster the writes went through many node connections: WAIT on each primary, after them.
  if (cluster) await waitOnEveryPrimary([...new Set(pending)], context, failures);
  return failures;
}

/** Close a standalone batch with the replicas' WAIT when one is needed, and run it. */
async function execRound(
  round: Round,
  actions: readonly CacheAction[],
  failures: Map<number, Error>,
  context: ApplyContext,
): Promise<void> {
  const indexes = () => [...new Set(round.sent.flatMap((command) => command.actions))];
  try {
    // The actions a WAIT stands for are gathered only when there are replicas to wait for.
    if (context.replicaAck && !context.redis.cluster)
      await appendReplicaWait(round.batch, round.sent, indexes, context);
  } catch (error) {
    for (const index of indexes()) failures.set(index, error as Error);
    return;
  }
  await execBatch(round.batch, round.sent, actions, failures, context);
}
