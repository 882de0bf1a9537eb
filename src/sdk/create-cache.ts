import type { Redis } from 'ioredis';
import type { EntityDefinitions, Keyspace } from '../keyspace';
import { resolveRedis } from '../redis/create-redis-client';
import { isRedisPort, openedIoredisPort, type RedisPortInput, toRedisPort } from '../redis/to-redis-port';
import { resolveCacheEntities } from './cache-entities';
import { CacheEvents } from './cache-events';
import type { CacheOptions } from './cache-options';
import { resolveCacheOptions } from './cache-options';
import { createCacheTags } from './cache-tags';
import type { BatchLoader, Cache, CacheClientOf, Loader } from './cache-types';
import { createCacheWrites } from './cache-writes';
import { type Clock, systemClock, unrefTimer } from './clock';
import { getMany } from './get-many';
import { getOne, peek, type ReadDeps } from './get-one';
import { createLeaseProtocol } from './lease-protocol';
import { createLoaderRunner } from './loader-runner';
import { attachNearCache } from './near-cache/attach-near-cache';
import { invalidationStreamOf } from './near-cache/invalidation-stream-of';
import { createRedisGuard } from './redis-guard';
import { sdkScripts } from './sdk-scripts';
import { createVerifySampler } from './verify-sampler';

export type {
  BatchLoader,
  BatchLoaderContext,
  Cache,
  CacheClientOf,
  GetOneOptions,
  GetOptions,
  Loader,
  LoaderContext,
  ReadPositionReporter,
} from './cache-types';

/** What `createCache` runs on besides its options; injectable so that tests drive time by hand. */
export interface CacheDependencies {
  /** The clock of every lease TTL, staleness check, timeout, breaker and poll. Default: the system's. */
  readonly clock?: Clock;
}

/**
 * Create the read-side cache: cache-aside with cross-process leases, race-safe fills, negative caching,
 * grace, and fail-open reads. Options are validated once; a bad one throws `CDC_INVALID_OPTION` naming it.
 *
 * @example
 * const cache = createCache({ redis: process.env.CDC_CACHE_REDIS_URL!, keyspace })
 * const user = await cache.get('user', { id: 42 }, () => db.users.findById(42))
 */
export function createCache<
  Definitions extends EntityDefinitions,
  Input extends RedisPortInput = RedisPortInput,
>(
  options: CacheOptions<Definitions> & { readonly redis: Input },
  dependencies: CacheDependencies = {},
): Cache<Definitions, CacheClientOf<Input>> {
  const settings = resolveCacheOptions(options as CacheOptions);
  const clock = dependencies.clock ?? systemClock;
  const { prefix, serializer } = settings;
  // A URL or ioredis options open an ioredis client that gives up on a command quickly (our own timeout and
  // breaker decide what a read does then); a client of any library is used as given, never closed.
  const opensIoredis = typeof options.redis === 'string' || isPlainOptions(options.redis);
  const opened = opensIoredis
    ? resolveRedis(options.redis as string, { maxRetriesPerRequest: 1 }).client
    : undefined;
  const client = (opened ?? options.redis) as object;
  // Decided before anything else is set up; it refuses only a client passed in (one we open is ioredis).
  const openNearStream = settings.nearCache ? invalidationStreamOf(client) : undefined;
  const redis = opened ? openedIoredisPort(opened as Redis) : toRedisPort(client);
  const scripts = sdkScripts(redis);
  const events = new CacheEvents();
  const guard = createRedisGuard({
    redis,
    commandTimeoutMs: settings.commandTimeoutMs,
    breaker: settings.breaker,
    events,
    clock,
  });
  // A client we created has no other owner to listen: without a listener ioredis prints every reconnect error.
  opened?.on('error', (error: unknown) => guard.report('connection', error));
  const entities = resolveCacheEntities(
    options.keyspace as Keyspace,
    prefix,
    settings.leaseTtlMs,
    settings.nearCache ? settings.nearCache.maxEntries : 0,
  );
  const tags = createCacheTags({
    redis,
    prefix,
    scripts,
    guard,
    declaredTags: entities.declaredTags,
  });
  const leases = createLeaseProtocol({
    prefix,
    leaseTtlMs: settings.leaseTtlMs,
    serializer,
    scripts,
    guard,
    tags,
    clock,
    readKey: async (key) => {
      const value = await redis.command(['GET', key]);
      return typeof value === 'string' ? value : null;
    },
  });
  // Off by default; when on, an in-process LRU in front of the hit path, kept coherent by Redis tracking.
  const near =
    settings.nearCache && openNearStream
      ? attachNearCache({
          openStream: openNearStream,
          settings: settings.nearCache,
          entities: [...(options.keyspace as Keyspace).entities.values()],
          prefix,
          serializer,
          events,
          now: () => clock.now(),
          report: (operation, error) => guard.report(operation, error),
        })
      : undefined;
  const loaders = createLoaderRunner({ hardTimeoutMs: settings.loaderHardTimeoutMs, events, clock });
  // Off by default; when on, a hit costs one random draw unless sampled.
  const verifier = settings.verify
    ? createVerifySampler(settings.verify, {
        serializer,
        read: guard.read,
        emit: (event) => events.emit('verify', event),
        now: () => clock.now(),
        setTimer: (run, ms) => unrefTimer(clock.setTimer(run, ms)),
        clearTimer: (timer) => clock.clearTimer(timer),
      })
    : undefined;
  const reads: ReadDeps = {
    events,
    clock,
    guard,
    loaders,
    leases,
    tags,
    serializer,
    entities,
    verifier,
    near,
    leaseWaitMs: settings.leaseWaitMs,
    loaderSoftTimeoutMs: settings.loaderSoftTimeoutMs,
  };
  const writes = createCacheWrites({ redis, scripts, guard, entities, tags, serializer, clock });

  const cache: Cache<EntityDefinitions, CacheClientOf<Input>> = {
    events,
    redis: (opened ?? options.redis) as CacheClientOf<Input>,
    port: redis,
    nearCache: near,
    get: (entity, params, loader, getOptions) =>
      getOne(reads, entity, params, loader as Loader<never, unknown>, getOptions) as Promise<never>,
    getMany: (entity, paramsList, loader, getOptions) =>
      getMany(reads, entity, paramsList, loader as BatchLoader<never, unknown>, getOptions) as Promise<never>,
    peek: (entity, params) => peek(reads, entity, params) as Promise<never>,
    set: (entity, params, value, setOptions) => writes.set(entity, params, value, setOptions),
    delete: (entity, params) => writes.delete(entity, params),
    deleteByTag: (tag, params) => tags.deleteByTag(tag, params),
    keyOf: (entity, params) => entities.keyFor(entities.get(entity), params),
    async close() {
      if (near) await near.close();
      guard.close();
      verifier?.close();
      await redis.close();
    },
  };
  return cache as unknown as Cache<Definitions, CacheClientOf<Input>>;
}

/** Plain ioredis options (`{ host, port }`), not a client or a port. */
function isPlainOptions(value: unknown): boolean {
  // A port is a plain object too: taken for options, it opened an ioredis client to localhost instead.
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    !isRedisPort(value)
  );
}
