import {
  type EntitySpec,
  generationKey,
  newGeneration,
  RESERVED_KEY_SEGMENT,
  tagSetTtlMs,
  versionKey,
} from '../keyspace';
import type { BatchEntry, RedisPort, RedisReply } from '../redis/redis-port';
import { scripts } from '../redis/scripts';
import type { CacheAction } from './cache-action';
import type { ReplicaAck } from './replica-ack';
import { isRetriableRedisError, type RetryListener, type RetryOptions, retry } from './retry';

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

/** One entry of the batch and the actions it stands for. */
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

/**
 * Apply coalesced actions: one batch (one round trip per node on Redis Cluster), retrying what failed with a retriable error until it succeeds or the retries run out
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
  const { redis } = context;
  let state: EntityState;
  try {
    state = await readEntityState(actions, pending, context);
  } catch (error) {
    for (const index of pending) failures.set(index, error as Error);
    return failures;
  }

  const cluster = redis.cluster;
  const tagIndexes: number[] = [];
  /** The batch: one round trip per node (the port routes each entry to its slot's node). */
  const batch: BatchEntry[] = [];
  const sent: Sent[] = [];
  const send = (entry: BatchEntry, command: Sent) => {
    batch.push(entry);
    sent.push(command);
  };
  /** Standalone: deletes gathered into UNLINK commands, versioned tombstones (version, ttl, xid) into script calls. */
  let unlink: string[] = [];
  let unlinkOwners: number[] = [];
  let tombstoneKeys: string[] = [];
  let tombstoneArgs: (string | number)[] = [];
  let tombstoneOwners: number[] = [];
  const flushUnlink = () => {
    if (unlink.length === 0) return;
    send(['UNLINK', ...unlink], { actions: unlinkOwners });
    unlink = [];
    unlinkOwners = [];
  };
  const flushTombstones = () => {
    if (tombstoneOwners.length === 0) return;
    send(scripts.writeTombstones.call(tombstoneKeys, tombstoneArgs), { actions: tombstoneOwners });
    tombstoneKeys = [];
    tombstoneArgs = [];
    tombstoneOwners = [];
  };
  const memoryTtl = (entity: string) =>
    Math.max(context.tombstoneTtlMs, context.entities.get(entity)?.maxReplicaLagMs ?? 0);
  const tombstone = (index: number, key: string, entity: string, version: string, transactionId = '') => {
    const memory = versionKey(context.prefix, key);
    if (cluster) {
      // On Cluster a script holds one slot: one call per key (the entry and its memory share it).
      send(scripts.writeTombstone.call([key, memory], [version, memoryTtl(entity), transactionId]), {
        actions: [index],
      });
      return;
    }
    tombstoneKeys.push(key, memory);
    tombstoneArgs.push(version, memoryTtl(entity), transactionId);
    tombstoneOwners.push(index);
    if (tombstoneOwners.length >= context.unlinkBatchSize) flushTombstones();
  };

  const now = context.now();
  const memberships: number[] = [];
  // Tag invalidations first: a refresh of this batch then joins its tag sets after they were emptied,
  // instead of being deleted by the invalidation its own event planned.
  const ordered = [
    ...pending.filter((index) => actions[index]!.kind === 'invalidate-tag'),
    ...pending.filter((index) => actions[index]!.kind !== 'invalidate-tag'),
  ];
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
          send(['UNLINK', action.key, memory], { actions: [index] });
        } else {
          unlink.push(action.key, memory);
          unlinkOwners.push(index);
          if (unlink.length >= context.unlinkBatchSize) flushUnlink();
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
        // Raise the truncate version BEFORE the bump: a reader that sees the new generation sees it too.
        if (action.version !== '') {
          send(scripts.raiseVersion.call([context.truncationKeys.get(action.entity)!], [action.version]), {
            actions: [index],
          });
        }
        send(['SET', action.key, newGeneration()], { actions: [index] });
        break;
      case 'invalidate-tag':
        send(scripts.invalidateTag.call([action.key], [context.tagBatchSize]), {
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
      send(scripts.addTagMember.call([tag], [action.key, tagTtlMs]), { actions: [index] });
    }
  }
  flushUnlink();
  flushTombstones();
  const executions: Promise<void>[] = [];
  if (batch.length > 0) {
    const indexes = [...new Set(sent.flatMap((command) => command.actions))];
    executions.push(
      appendReplicaWait(batch, sent, indexes, context).then(
        () => execBatch(batch, sent, actions, failures, context),
        (error: unknown) => {
          for (const index of indexes) failures.set(index, error as Error);
        },
      ),
    );
  }
  if (tagIndexes.length > 0) executions.push(invalidateClusterTags(actions, tagIndexes, context, failures));
  await Promise.all(executions);
  // On Cluster the writes went through many node connections: WAIT on each primary, after them.
  if (cluster) await waitOnEveryPrimary([...new Set(pending)], context, failures);
  return failures;
}

async function execBatch(
  batch: readonly BatchEntry[],
  sent: readonly Sent[],
  actions: readonly CacheAction[],
  failures: Map<number, Error>,
  context: ApplyContext,
): Promise<void> {
  const { redis } = context;
  let replies: (RedisReply | Error)[];
  try {
    replies = await redis.batch(batch);
  } catch (error) {
    for (const command of sent) for (const index of command.actions) failures.set(index, error as Error);
    return;
  }
  const moreTags: number[] = [];
  let drained = false;
  sent.forEach((command, at) => {
    const reply =
      at < replies.length ? replies[at]! : new Error('Redis returned no reply for a batched command');
    if (reply instanceof Error) {
      for (const index of command.actions) failures.set(index, reply);
    } else if (command.wait) {
      const short = context.replicaAck!.check(reply, command.wait.required, command.wait.node);
      if (short) for (const index of command.actions) if (!failures.has(index)) failures.set(index, short);
    } else if (command.tag && Number(reply) >= context.tagBatchSize) {
      moreTags.push(command.actions[0]!);
    }
  });
  // A big tag set is drained in bounded steps, so one script never blocks Redis for long.
  while (moreTags.length > 0) {
    let tagReplies: (RedisReply | Error)[];
    try {
      tagReplies = await redis.batch(
        moreTags.map((index) => scripts.invalidateTag.call([actions[index]!.key], [context.tagBatchSize])),
      );
    } catch (error) {
      for (const index of moreTags) failures.set(index, error as Error);
      return;
    }
    const still = moreTags.splice(0);
    still.forEach((index, at) => {
      const reply = tagReplies[at] ?? new Error('no reply');
      if (reply instanceof Error) failures.set(index, reply);
      else if (Number(reply) >= context.tagBatchSize) moreTags.push(index);
    });
    drained = true;
  }
  // The drain's deletes came after the batch's WAIT: the replicas must acknowledge them too.
  const wait = sent.find((command) => command.wait)?.wait;
  if (drained && wait) {
    const tagIndexes = sent.filter((command) => command.tag).flatMap((command) => command.actions);
    try {
      const [primary] = await redis.primaries();
      const reply = await primary!.command(['WAIT', wait.required, context.replicaAck!.timeoutMs]);
      const short = context.replicaAck!.check(reply, wait.required, wait.node);
      if (short) for (const index of tagIndexes) if (!failures.has(index)) failures.set(index, short);
    } catch (error) {
      for (const index of tagIndexes) if (!failures.has(index)) failures.set(index, error as Error);
    }
  }
}

/**
 * Tags on Redis Cluster: members live in other slots than their set, so no script can hold both. For each
 * chunk: UNLINK the members, SREM exactly those (a member added meanwhile stays), then UNLINK them again so
 * an entry filled between the two steps, whose membership the SREM just removed, does not outlive it
 * untracked. A crash between steps leaves members listed, so a redelivery deletes them again.
 */
async function invalidateClusterTags(
  actions: readonly CacheAction[],
  indexes: readonly number[],
  context: ApplyContext,
  failures: Map<number, Error>,
): Promise<void> {
  const { redis } = context;
  const unlinkEach = async (members: readonly string[]) => {
    const replies = await redis.batch(members.map((member) => ['UNLINK', member]));
    const failed = replies.find((reply): reply is Error => reply instanceof Error);
    if (failed) throw failed;
  };
  await Promise.all(
    indexes.map(async (index) => {
      const setKey = actions[index]!.key;
      try {
        let cursor = '0';
        do {
          const [next, members] = (await redis.command([
            'SSCAN',
            setKey,
            cursor,
            'COUNT',
            context.tagBatchSize,
          ])) as [string, string[]];
          cursor = next;
          if (members.length === 0) continue;
          await unlinkEach(members);
          await redis.command(['SREM', setKey, ...members]);
          await unlinkEach(members);
        } while (cursor !== '0');
      } catch (error) {
        failures.set(index, error as Error);
      }
    }),
  );
}

/**
 * End a standalone batch with `WAIT required timeout` when replicas must acknowledge: WAIT covers every
 * write sent before it on the same connection, so one WAIT per batch is enough. A short reply fails every
 * action of the batch with a retriable error (see {@link ReplicaAck.check}). On Cluster a batch spans node
 * connections: {@link waitOnEveryPrimary} waits after it instead.
 */
async function appendReplicaWait(
  batch: BatchEntry[],
  sent: Sent[],
  indexes: readonly number[],
  context: ApplyContext,
): Promise<void> {
  if (context.redis.cluster || !context.replicaAck) return;
  const required = await context.replicaAck.replicasFor('');
  if (required === 0) return;
  batch.push(['WAIT', required, context.replicaAck.timeoutMs]);
  sent.push({ actions: indexes, wait: { required, node: '' } });
}

/** Cluster: WAIT on each primary (on the connection that carried its writes), after the batch. */
async function waitOnEveryPrimary(
  indexes: readonly number[],
  context: ApplyContext,
  failures: Map<number, Error>,
): Promise<void> {
  const ack = context.replicaAck;
  if (!ack || indexes.every((index) => failures.has(index))) return;
  let primaries: Awaited<ReturnType<RedisPort['primaries']>>;
  try {
    primaries = await context.redis.primaries();
  } catch (error) {
    for (const index of indexes) if (!failures.has(index)) failures.set(index, error as Error);
    return;
  }
  await Promise.all(
    primaries.map(async (primary) => {
      const node = primary.address;
      try {
        const required = await ack.replicasFor(node);
        if (required === 0) return;
        const short = ack.check(await primary.command(['WAIT', required, ack.timeoutMs]), required, node);
        if (short) for (const index of indexes) if (!failures.has(index)) failures.set(index, short);
      } catch (error) {
        for (const index of indexes) if (!failures.has(index)) failures.set(index, error as Error);
      }
    }),
  );
}

interface EntityState {
  /** Current generation by entity (created when missing). */
  readonly generations: Map<string, string>;
  /** Newest truncate version by entity, when truncated. */
  readonly truncatedAt: Map<string, string>;
}

/**
 * Read the generation and truncate version of every entity that refreshes in this batch: one MGET on
 * standalone Redis, one MGET per entity (same slot) on Cluster, all in one round trip. A missing generation
 * is created (a new random one), so the values written are readable and no older entry matches them.
 */
async function readEntityState(
  actions: readonly CacheAction[],
  pending: readonly number[],
  context: ApplyContext,
): Promise<EntityState> {
  const entities = new Set<string>();
  for (const index of pending) {
    const action = actions[index]!;
    if (action.kind === 'refresh') entities.add(action.entity);
  }
  const state: EntityState = { generations: new Map(), truncatedAt: new Map() };
  if (entities.size === 0) return state;
  const names = [...entities];
  const pairs = names.map((name) => [context.generationKeys.get(name)!, context.truncationKeys.get(name)!]);
  const { redis } = context;
  const replies = redis.cluster
    ? (await Promise.all(pairs.map((pair) => redis.command(['MGET', ...pair])))).flat()
    : ((await redis.command(['MGET', ...pairs.flat()])) as RedisReply[]);
  const values = replies.map((value) => (typeof value === 'string' ? value : undefined));
  await Promise.all(
    names.map(async (name, at) => {
      const generation =
        values[2 * at] ?? (await scripts.ensureGeneration.run(redis, [pairs[at]![0]!], [newGeneration()]));
      state.generations.set(name, generation);
      const truncatedAt = values[2 * at + 1];
      if (truncatedAt) state.truncatedAt.set(name, truncatedAt);
    }),
  );
  return state;
}
