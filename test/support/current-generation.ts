import type { Redis } from 'ioredis';
import { generationKey, newGeneration } from '../../src/keyspace';

/**
 * An entity's current generation, created (random, with SET NX, as the SDK does) when its key is missing: an
 * entry written with it is one readers would serve. Tests that plant an entry by hand need it, since
 * generations are random (protocol v2) and an entry of any other generation reads as absent.
 *
 * @example
 * await redis.set(key, writeEntry({ generation: await currentGeneration(redis, prefix, 'user'), ... }))
 */
export async function currentGeneration(redis: Redis, prefix: string, entity: string): Promise<number> {
  const key = generationKey(prefix, entity);
  await redis.set(key, newGeneration(), 'NX');
  return Number(await redis.get(key));
}
