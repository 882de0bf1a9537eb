import type { BatchEntry, RedisReply } from '../redis/redis-port';
import { scripts } from '../redis/scripts';
import type { ApplyContext } from './apply-actions';
import type { CacheAction } from './cache-action';

/** One entry of a batch and the actions it stands for. */
export interface Sent {
  readonly actions: readonly number[];
  /** For a standalone tag invalidation: the reply tells whether members remain. */
  readonly tag?: boolean;
  /** For the closing WAIT: the replicas required on `node`. */
  readonly wait?: { readonly required: number; readonly node: string };
}

/**
 * Run one batch (pipelined through the port) and record, per action, the error of any entry sent for it;
 * then drain the tag sets that still have members, and have the replicas acknowledge the drain too.
 */
export async function execBatch(
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
 * End a standalone batch with `WAIT required timeout` when replicas must acknowledge: WAIT covers every
 * write sent before it on the same connection, so one WAIT per batch is enough. A short reply fails every
 * action of the batch with a retriable error (see {@link ReplicaAck.check}). On Cluster a batch spans node
 * connections: `waitOnEveryPrimary` (cluster-tags.ts) waits after it instead.
 */
export async function appendReplicaWait(
  batch: BatchEntry[],
  sent: Sent[],
  indexes: () => readonly number[],
  context: ApplyContext,
): Promise<void> {
  if (context.redis.cluster || !context.replicaAck) return;
  const required = await context.replicaAck.replicasFor('');
  if (required === 0) return;
  batch.push(['WAIT', required, context.replicaAck.timeoutMs]);
  sent.push({ actions: indexes(), wait: { required, node: '' } });
}
