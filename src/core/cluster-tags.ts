import type { Cluster } from 'ioredis';
import type { ApplyContext } from './apply-actions';
import type { CacheAction } from './cache-action';

/**
 * Tags on Redis Cluster: members live in other slots than their set, so no script can hold both. For each
 * chunk: UNLINK the members, SREM exactly those (a member added meanwhile stays), then UNLINK them again so
 * an entry filled between the two steps, whose membership the SREM just removed, does not outlive it
 * untracked. A crash between steps leaves members listed, so a redelivery deletes them again.
 */
export async function invalidateClusterTags(
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

/** Tags on Cluster write through many node connections: WAIT on each primary. */
export async function waitOnEveryPrimary(
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
