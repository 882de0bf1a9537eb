import type { RedisPort } from '../redis/redis-port';
import type { ApplyContext } from './apply-actions';
import type { CacheAction } from './cache-action';

/**
 * Tags on Redis Cluster: members live in other slots than their set, so no script can hold both. For each
 * chunk: UNLINK the members, SREM exactly those (a member added meanwhile stays), then UNLINK them again so
 * an entry filled between the two steps, whose membership the SREM just removed, does not outlive it
 * untracked. A crash between steps leaves members listed, so a redelivery deletes them again.
 */
export async function invalidateClusterTags(
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

/** Cluster: writes go through many node connections, so WAIT on each primary (on the connection that carried its writes), after them. */
export async function waitOnEveryPrimary(
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
