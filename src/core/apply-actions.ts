import calculateSlot from 'cluster-key-slot';
import type { ChainableCommander, Cluster } from 'ioredis';
import { type EntitySpec, generationKey, RESERVED_KEY_SEGMENT } from '../keyspace';
import { isCluster, type RedisClient } from '../redis/create-redis-client';
import { registerScripts, scriptCommand } from '../redis/register-scripts';
import type { CacheAction } from './cache-action';
import type { ReplicaAck } from './replica-ack';
import { isRetriableRedisError, type RetryListener, type RetryOptions, retry } from './retry';

/** What {@link applyActions} needs besides the actions. */
export interface ApplyContext {
  readonly client: RedisClient;
  /** Entities by name, for TTLs of refreshed values. */
  readonly entities: ReadonlyMap<string, EntitySpec>;
  /** Generation keys by entity name (prefix applied). */
  readonly generationKeys: ReadonlyMap<string, string>;
  /** Truncation keys by entity name (see {@link truncationKey}). */
  readonly truncationKeys: ReadonlyMap<string, string>;
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

const SCRIPTS = {
  refreshEntry: 'refresh-entry-1.lua',
  writeTombstone: 'write-tombstone-1.lua',
  invalidateTag: 'invalidate-tag-1.lua',
  raiseVersion: 'raise-version-1.lua',
} as const;
const REFRESH = scriptCommand('refreshEntry');
const TOMBSTONE = scriptCommand('writeTombstone');
const INVALIDATE_TAG = scriptCommand('invalidateTag');
const RAISE_VERSION = scriptCommand('raiseVersion');

type Commander = ChainableCommander & Record<string, (...args: (string | number)[]) => ChainableCommander>;

/** One command in a pipeline and the actions it stands for. */
interface Sent {
  readonly actions: readonly number[];
  /** For a standalone tag invalidation: the reply tells whether members remain. */
  readonly tag?: boolean;
  /** For the closing WAIT: the replicas required on `node`. */
  readonly wait?: { readonly required: number; readonly node: string };
}

/**
 * The key holding the newest version at which an entity's table was truncated. Its hash tag is the
 * generation key, so on Redis Cluster both live in one slot: one pipeline raises it and bumps the
 * generation in order, and one MGET reads both consistently.
 *
 * @example
 * truncationKey('shop:', 'user') // 'shop:_cc:truncated:{shop:_cc:gen:user}'
 */
export function truncationKey(prefix: string, entity: string): string {
  return `${prefix}${RESERVED_KEY_SEGMENT}truncated:{${generationKey(prefix, entity)}}`;
}

/** Register the worker's Lua scripts on a client (idempotent). */
export function registerWorkerScripts<C extends RedisClient>(client: C): C {
  return registerScripts(client, SCRIPTS);
}

/**
 * Apply coalesced actions: one pipeline (one per node on Redis Cluster, where ioredis pipelines must be
 * single-node), retrying what failed with a retriable error until it succeeds or the retries run out
 * (then a retriable `CDC_REDIS_UNAVAILABLE` error is thrown and nothing may be acknowledged).
 * Resolves to one entry per action: `undefined` when Redis acknowledged it, else the non-retriable error.
 *
 * @example
 * const errors = await applyActions(coalesceActions(plans).actions, context)
 */
export async function applyActions(
  actions: readonly CacheAction[],
  context: ApplyContext,
): Promise<(Error | undefined)[]> {
  registerWorkerScripts(context.client);
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

async function applyOnce(
  actions: readonly CacheAction[],
  pending: readonly number[],
  context: ApplyContext,
): Promise<Map<number, Error>> {
  const failures = new Map<number, Error>();
  const { client } = context;
  let state: EntityState;
  try {
    state = await readEntityState(actions, pending, context);
  } catch (error) {
    for (const index of pending) failures.set(index, error as Error);
    return failures;
  }

  const cluster = isCluster(client);
  const tagIndexes: number[] = [];
  const groups = new Map<string, number[]>();
  for (const index of pending) {
    const action = actions[index]!;
    if (action.kind === 'invalidate-tag' && cluster) {
      tagIndexes.push(index);
      continue;
    }
    const group = cluster ? nodeOf(client, action.key) : '';
    const list = groups.get(group);
    if (list) list.push(index);
    else groups.set(group, [index]);
  }

  const now = context.now();
  const rounds: Promise<void>[] = [];
  for (const [node, indexes] of groups) {
    const pipeline = client.pipeline() as Commander;
    const sent: Sent[] = [];
    let unlink: string[] = [];
    let unlinkOwners: number[] = [];
    const flushUnlink = () => {
      if (unlink.length === 0) return;
      pipeline.unlink(...unlink);
      sent.push({ actions: unlinkOwners });
      unlink = [];
      unlinkOwners = [];
    };
    for (const index of indexes) {
      const action = actions[index]!;
      switch (action.kind) {
        case 'delete':
          // One UNLINK for many keys; on Cluster a multi-key command must stay within one slot.
          if (cluster) {
            pipeline.unlink(action.key);
            sent.push({ actions: [index] });
          } else {
            unlink.push(action.key);
            unlinkOwners.push(index);
            if (unlink.length >= context.unlinkBatchSize) flushUnlink();
          }
          break;
        case 'refresh': {
          const truncatedAt = state.truncatedAt.get(action.entity);
          if (truncatedAt !== undefined && action.version <= truncatedAt) {
            // Older than a truncate of its table: the row it would write back is gone.
            pipeline[TOMBSTONE]!(
              action.key,
              state.generations.get(action.entity) ?? '0',
              action.version,
              now,
              context.tombstoneTtlMs,
            );
            sent.push({ actions: [index] });
            break;
          }
          const entity = context.entities.get(action.entity)!;
          const ttlMs = entity.ttlMs + Math.floor(context.random() * entity.ttlJitter * entity.ttlMs);
          pipeline[REFRESH]!(
            action.key,
            state.generations.get(action.entity) ?? '0',
            action.version,
            now,
            now + ttlMs,
            ttlMs + entity.graceMs,
            action.payload,
            context.tombstoneTtlMs,
          );
          sent.push({ actions: [index] });
          break;
        }
        case 'tombstone':
          pipeline[TOMBSTONE]!(
            action.key,
            state.generations.get(action.entity) ?? '0',
            action.version,
            now,
            context.tombstoneTtlMs,
          );
          sent.push({ actions: [index] });
          break;
        case 'bump-generation':
          // Raise the truncate version BEFORE the bump: a reader that sees the new generation sees it too.
          if (action.version !== '') {
            pipeline[RAISE_VERSION]!(context.truncationKeys.get(action.entity)!, action.version);
            sent.push({ actions: [index] });
          }
          pipeline.incr(action.key);
          sent.push({ actions: [index] });
          break;
        case 'invalidate-tag':
          pipeline[INVALIDATE_TAG]!(action.key, context.tagBatchSize);
          sent.push({ actions: [index], tag: true });
          break;
      }
    }
    flushUnlink();
    rounds.push(
      appendReplicaWait(pipeline, sent, indexes, node, context).then(
        () => execPipeline(pipeline, sent, actions, failures, context),
        (error: unknown) => {
          for (const index of indexes) failures.set(index, error as Error);
        },
      ),
    );
  }
  if (tagIndexes.length > 0)
    rounds.push(
      invalidateClusterTags(client as Cluster, actions, tagIndexes, context, failures).then(() =>
        waitOnEveryPrimary(client as Cluster, actions, tagIndexes, context, failures),
      ),
    );
  await Promise.all(rounds);
  return failures;
}

async function execPipeline(
  pipeline: ChainableCommander,
  sent: readonly Sent[],
  actions: readonly CacheAction[],
  failures: Map<number, Error>,
  context: ApplyContext,
): Promise<void> {
  let replies: [Error | null, unknown][] | null;
  try {
    replies = await pipeline.exec();
  } catch (error) {
    replies = null;
    for (const command of sent) for (const index of command.actions) failures.set(index, error as Error);
    return;
  }
  const moreTags: number[] = [];
  sent.forEach((command, at) => {
    const [error, reply] = replies?.[at] ?? [
      new Error('Redis returned no reply for a pipelined command'),
      null,
    ];
    if (error) {
      for (const index of command.actions) failures.set(index, error);
    } else if (command.wait) {
      const short = context.replicaAck!.check(reply, command.wait.required, command.wait.node);
      if (short) for (const index of command.actions) if (!failures.has(index)) failures.set(index, short);
    } else if (command.tag && Number(reply) >= context.tagBatchSize) {
      moreTags.push(command.actions[0]!);
    }
  });
  // A big tag set is drained in bounded steps, so one script never blocks Redis for long.
  while (moreTags.length > 0) {
    const next = context.client.pipeline() as Commander;
    for (const index of moreTags) next[INVALIDATE_TAG]!(actions[index]!.key, context.tagBatchSize);
    let tagReplies: [Error | null, unknown][] | null;
    try {
      tagReplies = await next.exec();
    } catch (error) {
      for (const index of moreTags) failures.set(index, error as Error);
      return;
    }
    const still = moreTags.splice(0);
    still.forEach((index, at) => {
      const [error, reply] = tagReplies?.[at] ?? [new Error('no reply'), null];
      if (error) failures.set(index, error);
      else if (Number(reply) >= context.tagBatchSize) moreTags.push(index);
    });
  }
}

/**
 * Tags on Redis Cluster: members live in other slots than their set, so no script can hold both. For each
 * chunk: UNLINK the members, SREM exactly those (a member added meanwhile stays), then UNLINK them again so
 * an entry filled between the two steps, whose membership the SREM just removed, does not outlive it
 * untracked. A crash between steps leaves members listed, so a redelivery deletes them again.
 */
async function invalidateClusterTags(
  client: Cluster,
  actions: readonly CacheAction[],
  indexes: readonly number[],
  context: ApplyContext,
  failures: Map<number, Error>,
): Promise<void> {
  await Promise.all(
    indexes.map(async (index) => {
      const setKey = actions[index]!.key;
      try {
        let cursor = '0';
        do {
          const [next, members] = await client.sscan(setKey, cursor, 'COUNT', context.tagBatchSize);
          cursor = next;
          if (members.length === 0) continue;
          await Promise.all(members.map((member) => client.unlink(member)));
          await client.srem(setKey, ...members);
          await Promise.all(members.map((member) => client.unlink(member)));
        } while (cursor !== '0');
      } catch (error) {
        failures.set(index, error as Error);
      }
    }),
  );
}

/**
 * End a pipeline with `WAIT required timeout` when replicas must acknowledge: WAIT covers every write sent
 * before it on the same connection, so one WAIT per pipeline (per node on Cluster) is enough. A short reply
 * fails every action of the pipeline with a retriable error (see {@link ReplicaAck.check}).
 */
async function appendReplicaWait(
  pipeline: ChainableCommander,
  sent: Sent[],
  indexes: readonly number[],
  node: string,
  context: ApplyContext,
): Promise<void> {
  const required = context.replicaAck ? await context.replicaAck.replicasFor(node) : 0;
  if (required === 0) return;
  pipeline.wait(required, context.replicaAck!.timeoutMs);
  sent.push({ actions: indexes, wait: { required, node } });
}

/** Tags on Cluster write through many node connections: WAIT on each primary. */
async function waitOnEveryPrimary(
  client: Cluster,
  actions: readonly CacheAction[],
  indexes: readonly number[],
  context: ApplyContext,
  failures: Map<number, Error>,
): Promise<void> {
  const ack = context.replicaAck;
  if (!ack || indexes.every((index) => failures.has(index)) || actions.length === 0) return;
  await Promise.all(
    client.nodes('master').map(async (primary) => {
      const node = `${primary.options.host}:${primary.options.port}`;
      try {
        const required = await ack.replicasFor(node);
        if (required === 0) return;
        const short = ack.check(await primary.wait(required, ack.timeoutMs), required, node);
        if (short) for (const index of indexes) if (!failures.has(index)) failures.set(index, short);
      } catch (error) {
        for (const index of indexes) if (!failures.has(index)) failures.set(index, error as Error);
      }
    }),
  );
}

interface EntityState {
  /** Current generation by entity ('0' when never bumped). */
  readonly generations: Map<string, string>;
  /** Newest truncate version by entity, when truncated. */
  readonly truncatedAt: Map<string, string>;
}

/**
 * Read the generation and truncate version of every entity that refreshes or tombstones in this batch:
 * one MGET on standalone Redis, one MGET per entity (same slot) on Cluster, all in one round trip.
 */
async function readEntityState(
  actions: readonly CacheAction[],
  pending: readonly number[],
  context: ApplyContext,
): Promise<EntityState> {
  const entities = new Set<string>();
  for (const index of pending) {
    const action = actions[index]!;
    if (action.kind === 'refresh' || action.kind === 'tombstone') entities.add(action.entity);
  }
  const state: EntityState = { generations: new Map(), truncatedAt: new Map() };
  if (entities.size === 0) return state;
  const names = [...entities];
  const pairs = names.map((name) => [context.generationKeys.get(name)!, context.truncationKeys.get(name)!]);
  const { client } = context;
  const values = isCluster(client)
    ? (await Promise.all(pairs.map((pair) => client.mget(...pair)))).flat()
    : await client.mget(...pairs.flat());
  names.forEach((name, at) => {
    state.generations.set(name, values[2 * at] ?? '0');
    const truncatedAt = values[2 * at + 1];
    if (truncatedAt) state.truncatedAt.set(name, truncatedAt);
  });
  return state;
}

function nodeOf(client: Cluster, key: string): string {
  const slot = calculateSlot(key);
  return client.slots[slot]?.[0] ?? `slot:${slot}`;
}
