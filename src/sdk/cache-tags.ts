import { CdcCacheError } from '../errors';
import {
  type KeyRenderer,
  type KeyTemplate,
  type KeyValue,
  missingPlaceholders,
  parseKeyTemplate,
  renderKeyTemplate,
  tagKey,
} from '../keyspace';
import type { RedisPort } from '../redis/redis-port';
import type { CacheEntity } from './cache-entities';
import { type RedisGuard, redisError } from './redis-guard';
import type { SdkScripts } from './sdk-scripts';

/** Most tag members popped and deleted per round trip. */
const TAG_BATCH = 500;

/** An entry's tags: those its params render, and the templates only the loaded row can fill in. */
export interface RenderedTags {
  readonly rendered: string[];
  readonly unresolved: KeyTemplate[];
}

/**
 * Render an entity's tags from the values at hand; a tag with a placeholder they lack is left unresolved.
 *
 * @example
 * renderTags(user, { id: 5, tenantId: 7 }).rendered // ['tenant:7']
 */
export function renderTags(entity: CacheEntity, values: Readonly<Record<string, unknown>>): RenderedTags {
  const rendered: string[] = [];
  const unresolved: KeyTemplate[] = [];
  for (const tag of entity.tags) {
    const result = tag.render(values);
    if (typeof result === 'string') rendered.push(result);
    else unresolved.push(tag.template);
  }
  return { rendered, unresolved };
}

/**
 * The tags left unresolved before the load, rendered from the loaded row (and the params); those it still
 * cannot render are skipped.
 */
export function renderLateTags(
  entity: CacheEntity,
  unresolved: readonly KeyTemplate[],
  row: Readonly<Record<string, unknown>>,
): string[] {
  return unresolved.flatMap((template) => {
    const result = entity.tags.find((tag) => tag.template === template)?.render(row);
    return typeof result === 'string' ? [result] : [];
  });
}

/** What {@link createCacheTags} needs. */
export interface CacheTagsOptions {
  readonly redis: RedisPort;
  readonly prefix: string;
  readonly scripts: SdkScripts;
  readonly guard: RedisGuard;
  /** Keyspace tag templates with their entity's renderer (so a tag renders exactly as fills list it). */
  readonly declaredTags: ReadonlyMap<string, KeyRenderer>;
}

/** Tag sets in Redis: list an entry under its tags, delete every entry of a tag. */
export interface CacheTags {
  /** List `key` under `tags` (before its value is loaded); rejects on a Redis failure. */
  add(entity: CacheEntity, key: string, tags: readonly string[]): Promise<void>;
  /** Delete every entry listed under a tag: a rendered tag, or a template with its params. */
  deleteByTag(tag: string, params?: Readonly<Record<string, KeyValue>>): Promise<number>;
}

/**
 * Tag sets for one cache: entries are listed BEFORE they load, so a tag invalidation during a load deletes
 * the lease and cancels the fill.
 *
 * @example
 * const tags = createCacheTags({ client, cluster: false, prefix, scripts, guard, declaredTags })
 * await tags.deleteByTag('tenant:{tenantId}', { tenantId: 7 })
 */
export function createCacheTags(options: CacheTagsOptions): CacheTags {
  const { redis, prefix, scripts, guard, declaredTags } = options;
  const cluster = redis.cluster;

  async function write<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await guard.run('delete-by-tag', call);
    } catch (error) {
      throw redisError('delete-by-tag', error);
    }
  }

  function renderTag(tag: string, params: Readonly<Record<string, KeyValue>>): string {
    const parsed = parseKeyTemplate(tag);
    if ('error' in parsed)
      throw new CdcCacheError('CDC_INVALID_KEY_PARAMS', `deleteByTag: tag '${tag}' ${parsed.error}`);
    // A keyspace tag renders with its entity's declared column types, exactly as fills list it.
    const declared = declaredTags.get(tag);
    const result = declared ? declared(params) : renderKeyTemplate(parsed.template, params);
    const key =
      typeof result === 'object' && result !== null ? ('key' in result ? result.key : null) : result;
    if (typeof key !== 'string') {
      const missing = missingPlaceholders(parsed.template, params);
      throw new CdcCacheError(
        'CDC_INVALID_KEY_PARAMS',
        `deleteByTag: tag '${tag}' needs: ${missing.join(', ')}`,
      );
    }
    return key;
  }

  return {
    async add(entity, key, tags) {
      if (tags.length === 0) return;
      await guard.run('tag', () =>
        Promise.all(tags.map((tag) => scripts.addTagMember(tagKey(prefix, tag), key, entity.tagTtlMs))),
      );
    },
    async deleteByTag(tag, params) {
      const setKey = tagKey(prefix, params ? renderTag(tag, params) : tag);
      // Members are popped BEFORE their entries are deleted (as the worker does): a reader that lists the
      // key again meanwhile keeps its membership, which SMEMBERS + UNLINK + SREM would remove.
      let deleted = 0;
      for (;;) {
        let handled: number;
        if (cluster) {
          const popped = await write(() => redis.command(['SPOP', setKey, TAG_BATCH]));
          const members = Array.isArray(popped) ? popped.map(String) : [];
          if (members.length > 0) {
            const replies = await write(() => redis.batch(members.map((member) => ['UNLINK', member])));
            const failed = replies.find((reply): reply is Error => reply instanceof Error);
            if (failed) throw redisError('delete-by-tag', failed);
          }
          handled = members.length;
        } else {
          handled = Number(await write(() => scripts.invalidateTag(setKey, TAG_BATCH)));
        }
        deleted += handled;
        if (handled < TAG_BATCH) return deleted;
      }
    },
  };
}
