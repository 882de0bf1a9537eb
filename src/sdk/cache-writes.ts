import { newGeneration } from '../keyspace';
import type { RedisPort } from '../redis/redis-port';
import type { Serializer } from '../redis/serializer';
import { type CacheEntities, entryLifetime, generationOf } from './cache-entities';
import { type CacheTags, renderTags } from './cache-tags';
import type { GetOptions } from './cache-types';
import type { Clock } from './clock';
import { writeEntry } from './entry-codec';
import { type RedisGuard, redisError } from './redis-guard';
import type { SdkScripts } from './sdk-scripts';

/** What {@link createCacheWrites} needs. */
export interface CacheWritesOptions {
  readonly redis: RedisPort;
  readonly scripts: SdkScripts;
  readonly guard: RedisGuard;
  readonly entities: CacheEntities;
  readonly tags: CacheTags;
  readonly serializer: Serializer;
  readonly clock: Clock;
}

/** Writes a caller makes directly: no lease, they know the value is current. */
export interface CacheWrites {
  /** Write a value (tags listed first); cancels any fill in progress. */
  set(
    entity: string,
    params: Readonly<Record<string, unknown>>,
    value: unknown,
    options?: GetOptions,
  ): Promise<void>;
  /** Delete one entry; resolves true when something was deleted. */
  delete(entity: string, params: Readonly<Record<string, unknown>>): Promise<boolean>;
}

/**
 * `cache.set` and `cache.delete`. Unlike reads they do not fail open: a Redis failure rejects with
 * `CDC_REDIS_UNAVAILABLE`.
 *
 * @example
 * const writes = createCacheWrites({ client, scripts, guard, entities, tags, serializer, clock })
 * await writes.set('user', { id: 42 }, user)
 */
export function createCacheWrites(options: CacheWritesOptions): CacheWrites {
  const { redis, scripts, guard, entities, tags, serializer, clock } = options;

  async function write<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      return await guard.run(operation, call);
    } catch (error) {
      throw redisError(operation, error);
    }
  }

  return {
    async set(entityName, params, value, callOptions) {
      const entity = entities.get(entityName);
      const key = entities.keyFor(entity, params);
      const found = value !== null && value !== undefined;
      const payload = found ? serializer.serialize(value) : null;
      const values = {
        ...(found && typeof value === 'object' ? value : {}),
        ...params,
        ...callOptions?.tagParams,
      };
      await tags.add(entity, key, renderTags(entity, values).rendered).catch((error) => {
        throw redisError('tag', error);
      });
      const generation =
        generationOf(asText(await write('set', () => redis.command(['GET', entity.generationKey])))) ??
        generationOf(
          String(await write('set', () => scripts.ensureGeneration(entity.generationKey, newGeneration()))),
        );
      const now = clock.now();
      const { freshMs, hardTtlMs } = entryLifetime(entity, found, callOptions);
      const text = writeEntry({
        generation: generation ?? 0,
        version: '',
        writtenAtMs: now,
        staleAtMs: now + freshMs,
        payload,
      });
      await write('set', () => redis.command(['SET', key, text, 'PX', hardTtlMs]));
    },
    async delete(entityName, params) {
      const key = entities.keyFor(entities.get(entityName), params);
      return Number(await write('delete', () => redis.command(['UNLINK', key]))) > 0;
    },
  };
}

function asText(reply: unknown): string | null {
  return typeof reply === 'string' ? reply : null;
}
