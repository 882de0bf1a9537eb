import { CdcCacheError } from '../errors';
import {
  compileKeyRenderer,
  type EntitySpec,
  generationKey,
  generationMemoryKey,
  getEntity,
  type KeyRenderer,
  type Keyspace,
  type KeyTemplate,
  tagSetTtlMs,
} from '../keyspace';
import { parseDuration } from '../keyspace/parse-duration';
import type { GetOptions } from './cache-types';
import { memoizedEntityKey } from './memoized-entity-key';

/** One entity as the cache uses it: its spec with what is derived once. */
export interface CacheEntity {
  readonly spec: EntitySpec;
  /** The full Redis key of an entry (see {@link memoizedEntityKey}). */
  readonly key: (params: Readonly<Record<string, unknown>>) => string;
  /** Its tag templates, each with its compiled renderer. */
  readonly tags: readonly { readonly template: KeyTemplate; readonly render: KeyRenderer }[];
  readonly generationKey: string;
  /** The version memory of the generation: the entity's last truncate (see `generationMemoryKey`). */
  readonly generationMemoryKey: string;
  /** Tag sets must outlive every entry listed in them. */
  readonly tagTtlMs: number;
}

/** The entities of a keyspace, resolved once per cache. */
export interface CacheEntities {
  /** An entity by name; throws `CDC_INVALID_KEY_PARAMS` naming the known ones. */
  get(name: string): CacheEntity;
  /** The full Redis key of an entry. */
  keyFor(entity: CacheEntity, params: Readonly<Record<string, unknown>>): string;
  /** Every tag template the keyspace declares (by its source text), with its entity's renderer. */
  readonly declaredTags: ReadonlyMap<string, KeyRenderer>;
}

/**
 * Resolve a keyspace's entities for a cache: compiled tag renderers, generation keys, tag-set TTLs.
 *
 * @example
 * const entities = resolveCacheEntities(keyspace, '', 10_000)
 * entities.keyFor(entities.get('user'), { id: 42 }) // 'user:42'
 */
export function resolveCacheEntities(
  keyspace: Keyspace,
  prefix: string,
  leaseTtlMs: number,
  /** Keys remembered per entity (the near cache's `maxEntries`; 0 without one): see memoizedEntityKey. */
  keyMemoEntries = 0,
): CacheEntities {
  const entities = new Map<string, CacheEntity>();
  for (const spec of keyspace.entities.values()) {
    entities.set(spec.name, {
      spec,
      key: memoizedEntityKey(spec, prefix, keyMemoEntries),
      tags: spec.tags.map((template) => ({
        template,
        render: compileKeyRenderer(template, { types: spec.types }),
      })),
      generationKey: generationKey(prefix, spec.name),
      generationMemoryKey: generationMemoryKey(prefix, spec.name),
      tagTtlMs: tagSetTtlMs(spec, leaseTtlMs),
    });
  }
  const declaredTags = new Map<string, KeyRenderer>();
  for (const entity of entities.values()) {
    for (const tag of entity.tags)
      if (!declaredTags.has(tag.template.source)) declaredTags.set(tag.template.source, tag.render);
  }
  return {
    get: (name) => entities.get(name) ?? (getEntity(keyspace, name) as never),
    keyFor: (entity, params) => entity.key(params),
    declaredTags,
  };
}

/** The TTL of one value: the per-call `ttl` or the entity's. Throws `CDC_INVALID_OPTION` for a bad one. */
export function ttlOf(entity: CacheEntity, options: GetOptions | undefined): number {
  if (options?.ttl === undefined) return entity.spec.ttlMs;
  const parsed = parseDuration(options.ttl);
  if ('error' in parsed || parsed.ms <= 0) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      `get: option 'ttl' is invalid: ${JSON.stringify(options.ttl)}`,
    );
  }
  return parsed.ms;
}

/** How long a value stays fresh (jittered) and in Redis (plus grace); a not-found gets the negative TTL. */
export function entryLifetime(
  entity: CacheEntity,
  found: boolean,
  options: GetOptions | undefined,
): { readonly freshMs: number; readonly hardTtlMs: number } {
  if (!found) return { freshMs: entity.spec.negativeTtlMs, hardTtlMs: entity.spec.negativeTtlMs };
  const ttl = ttlOf(entity, options);
  const freshMs = ttl + Math.floor(Math.random() * ttl * entity.spec.ttlJitter);
  return { freshMs, hardTtlMs: freshMs + entity.spec.graceMs };
}

/** The generation in a generation key: null when missing (or, defensively, not a number): nothing matches it. */
export function generationOf(text: string | null | undefined): number | null {
  if (!text) return null;
  const generation = Number(text);
  return Number.isSafeInteger(generation) ? generation : null;
}
