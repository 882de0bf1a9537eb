import { newGeneration } from '../keyspace';
import type { RedisReply } from '../redis/redis-port';
import { scripts } from '../redis/scripts';
import type { ApplyContext } from './apply-actions';
import type { CacheAction } from './cache-action';

/** What a batch of refreshes writes under, by entity. */
export interface EntityState {
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
export async function readEntityState(
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
