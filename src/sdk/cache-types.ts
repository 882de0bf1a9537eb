import type { EntityDefinitions, KeyParams, KeyValue, ReadPosition } from '../keyspace';
import type { Duration } from '../keyspace/parse-duration';
import type { RedisClient } from '../redis/create-redis-client';
import type { RedisPort } from '../redis/redis-port';
import type { CacheEvents } from './cache-events';
import type { NearCacheHandle } from './near-cache/attach-near-cache';

/** Lets a loader that reads a replica say which snapshot it read. */
export interface ReadPositionReporter {
  /**
   * Report the position of the snapshot the loader read, in the source's own form (see {@link ReadPosition}):
   * PostgreSQL the snapshot, `{ snapshot }` of `pg_current_snapshot()` read BEFORE the query
   * (`readPostgresPosition(client)`); MySQL `{ file, pos }`; DynamoDB the item's version attribute. A fill
   * that does not contain the last change the worker applied to its key is served but not cached (event
   * `fill-refused`). Throws `CDC_INVALID_OPTION` for a position that does not fit the entity's source.
   */
  readPosition(position: ReadPosition): void;
}

/** What a loader is called with. */
export interface LoaderContext<Params> extends ReadPositionReporter {
  /** The entity name. */
  readonly entity: string;
  /** The full Redis key. */
  readonly key: string;
  /** The key parameters given to `get`. */
  readonly params: Params;
}

/** Loads one value from the source of truth; `null` or `undefined` means not found (negatively cached). */
export type Loader<Params, Value> = (context: LoaderContext<Params>) => Promise<Value> | Value;

/** What a batch loader is called with besides its params: one position for the whole batch. */
export interface BatchLoaderContext extends ReadPositionReporter {
  /** The entity name. */
  readonly entity: string;
}

/** Loads a batch: one result per params, in the same order; `null` or `undefined` means not found. */
export type BatchLoader<Params, Value> = (
  paramsList: readonly Params[],
  context: BatchLoaderContext,
) => Promise<readonly Value[]> | readonly Value[];

/** Per-call options of `get`, `getMany` and `set`. */
export interface GetOptions {
  /** TTL of this value instead of the entity's. */
  ttl?: Duration;
  /** Values for tag placeholders that are not key parameters (e.g. `tenantId` of a `tenant:{tenantId}` tag). */
  tagParams?: Readonly<Record<string, KeyValue>>;
}

/** Per-call options of `get`. */
export interface GetOneOptions<Params = Record<string, KeyValue>, Value = unknown> extends GetOptions {
  /**
   * Reads a snapshot that is never behind the worker (the primary, a `ConsistentRead`). Called, once, only
   * when the loader's read was refused (older than the key's last applied change, or within the entity's
   * `maxReplicaLag`); its result is cached under the same lease, so the readers waiting on it get it too.
   * Without it a refused read is served uncached.
   */
  freshLoader?: Loader<Params, Value>;
}

type Found<Value> = NonNullable<Value> | null;

/**
 * The type of `cache.redis` for what was passed as `redis`: that client as it is (node-redis, ioredis, GLIDE,
 * or a port), or the ioredis client the cache opens from a URL or ioredis options.
 */
export type CacheClientOf<Input> = Input extends string
  ? RedisClient
  : Input extends RedisPort
    ? RedisPort
    : Input extends RedisClient
      ? Input
      : Input extends { sendCommand: unknown } | { customCommand: unknown }
        ? Input
        : RedisClient;

/**
 * The read-side cache, typed by its keyspace and by its Redis client (`Client`, inferred by `createCache`
 * from its `redis` option; the ioredis client type by default, for a URL or ioredis options).
 */
export interface Cache<Definitions extends EntityDefinitions = EntityDefinitions, Client = RedisClient> {
  /** Typed events: hit, miss, stale, lease-wait, load, bypass, error, breaker. */
  readonly events: CacheEvents;
  /**
   * The Redis client in use, typed as it was given: the client passed in (node-redis, ioredis or GLIDE, or a
   * port), or the ioredis client the cache opened from a URL or ioredis options.
   */
  readonly redis: Client;
  /** The same Redis through cdc-cache's port (any client library). */
  readonly port: RedisPort;
  /** The near cache (option `nearCache`): its counters, and a barrier for tests; undefined when off. */
  readonly nearCache: NearCacheHandle | undefined;
  /** Get a value, or load it once (across processes), cache it and return it. Not found is `null`. */
  get<Entity extends keyof Definitions & string, Value>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
    loader: Loader<KeyParams<Definitions[Entity]>, Value>,
    options?: GetOneOptions<KeyParams<Definitions[Entity]>, Value>,
  ): Promise<Found<Value>>;
  /** Get many values of one entity in one round trip; the misses are loaded in one loader call. */
  getMany<Entity extends keyof Definitions & string, Value>(
    entity: Entity,
    paramsList: readonly KeyParams<Definitions[Entity]>[],
    loader: BatchLoader<KeyParams<Definitions[Entity]>, Value>,
    options?: GetOptions,
  ): Promise<Found<Value>[]>;
  /** The cached value without loading: `undefined` when nothing is cached, `null` for a cached not-found. */
  peek<Entity extends keyof Definitions & string, Value = unknown>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
  ): Promise<Value | null | undefined>;
  /** Write a value you know is current (e.g. right after your own write). Cancels any fill in progress. */
  set<Entity extends keyof Definitions & string>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
    value: unknown,
    options?: GetOptions,
  ): Promise<void>;
  /** Delete one entry (and cancel any fill in progress). Resolves true when something was deleted. */
  delete<Entity extends keyof Definitions & string>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
  ): Promise<boolean>;
  /** Delete every entry listed under a tag: a rendered tag (`'tenant:7'`), or a template with its params. */
  deleteByTag(tag: string, params?: Readonly<Record<string, KeyValue>>): Promise<number>;
  /** The Redis key of an entry (prefix included). */
  keyOf<Entity extends keyof Definitions & string>(
    entity: Entity,
    params: KeyParams<Definitions[Entity]>,
  ): string;
  /** Close the Redis client if the cache created it; a client you passed in stays open. */
  close(): Promise<void>;
}
