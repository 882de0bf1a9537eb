import type { ChainableCommander, Cluster } from 'ioredis';
import type { RedisClient } from '../redis/create-redis-client';
import type { ApplyContext } from './apply-actions';
import type { CacheAction } from './cache-action';
import { type Commander, WORKER_COMMANDS } from './worker-scripts';

/** One command in a pipeline and the actions it stands for. */
export interface Sent {
  readonly actions: readonly number[];
  /** For a standalone tag invalidation: the reply tells whether members remain. */
  readonly tag?: boolean;
  /** For the closing WAIT: the replicas required on `node`. */
  readonly wait?: { readonly required: number; readonly node: string };
}

/**
 * Run one pipeline and record, per action, the error of any command sent for it; then drain the tag sets
 * that still have members, and have the replicas acknowledge the drain too.
 */
export async function execPipeline(
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
  let drained = false;
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
    for (const index of moreTags)
      next[WORKER_COMMANDS.invalidateTag]!(actions[index]!.key, context.tagBatchSize);
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
    drained = true;
  }
  // The drain's deletes came after the pipeline's WAIT: the replicas must acknowledge them too.
  const wait = sent.find((command) => command.wait)?.wait;
  if (drained && wait) {
    const tagIndexes = sent.filter((command) => command.tag).flatMap((command) => command.actions);
    try {
      const reply = await (context.client as Exclude<RedisClient, Cluster>).wait(
        wait.required,
        context.replicaAck!.timeoutMs,
      );
      const short = context.replicaAck!.check(reply, wait.required, wait.node);
      if (short) for (const index of tagIndexes) if (!failures.has(index)) failures.set(index, short);
    } catch (error) {
      for (const index of tagIndexes) if (!failures.has(index)) failures.set(index, error as Error);
    }
  }
}

/**
 * End a pipeline with `WAIT required timeout` when replicas must acknowledge: WAIT covers every write sent
 * before it on the same connection, so one WAIT per pipeline (per node on Cluster) is enough. A short reply
 * fails every action of the pipeline with a retriable error (see {@link ReplicaAck.check}).
 */
export async function appendReplicaWait(
  pipeline: ChainableCommander,
  sent: Sent[],
  indexes: () => readonly number[],
  node: string,
  context: ApplyContext,
): Promise<void> {
  const required = context.replicaAck ? await context.replicaAck.replicasFor(node) : 0;
  if (required === 0) return;
  pipeline.wait(required, context.replicaAck!.timeoutMs);
  sent.push({ actions: indexes(), wait: { required, node } });
}
