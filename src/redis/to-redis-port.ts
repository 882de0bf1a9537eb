import { Redis, type RedisOptions } from 'ioredis';
import { CdcCacheError } from '../errors';
import { glideDriver, isGlide } from './adapters/glide-driver';
import { ioredisDriver, isIoredis } from './adapters/ioredis-driver';
import { isNodeRedis, nodeRedisDriver } from './adapters/node-redis-driver';
import { createRedisPort } from './create-redis-port';
import type { RedisPort } from './redis-port';

/**
 * What cdc-cache accepts as `redis`: a URL (`redis://`, `rediss://`; opened with ioredis, the package's
 * own dependency), a node-redis client or cluster (`redis` 5 or 6), an ioredis `Redis` or `Cluster` (5 or
 * 6), a Valkey GLIDE 2.x client (standalone or cluster), or a port already built.
 */
export type AnyRedisClient = string | RedisPort | object;

/** True for a value that already is a {@link RedisPort}. */
export function isRedisPort(value: unknown): value is RedisPort {
  const candidate = value as Partial<RedisPort>;
  return (
    typeof candidate?.batch === 'function' &&
    typeof candidate.script === 'function' &&
    typeof candidate.primaries === 'function'
  );
}

/** What the workers' `redis` option takes: anything {@link toRedisPort} takes, or ioredis options. */
export type RedisPortInput = AnyRedisClient | RedisOptions;

/**
 * Like {@link toRedisPort}, but plain ioredis options also open a client (with `defaults` under them), and
 * `defaults` apply to a client opened from a URL. Only a client opened here is closed by the port.
 *
 * @example
 * const port = resolveRedisPort(options.redis, { maxRetriesPerRequest: 1 })
 */
export function resolveRedisPort(input: RedisPortInput, defaults: RedisOptions = {}): RedisPort {
  if (typeof input === 'string') return toRedisPort(input, defaults);
  if (isRedisPort(input) || isGlide(input) || isIoredis(input) || isNodeRedis(input))
    return toRedisPort(input);
  refuseKeyPrefix(input);
  return openedIoredisPort(new Redis({ ...defaults, ...(input as RedisOptions) }));
}

/**
 * Wrap a client of any supported library in the one {@link RedisPort}. A client that was passed in is
 * never closed by the port; a URL opens an ioredis client that {@link RedisPort.close} closes.
 *
 * @example
 * import { createClient } from 'redis'
 * const port = toRedisPort(createClient({ url: 'redis://localhost:6379' }))
 */
export function toRedisPort(client: AnyRedisClient, urlOptions: RedisOptions = {}): RedisPort {
  if (typeof client === 'string') return openedIoredisPort(new Redis(client, urlOptions));
  if (isRedisPort(client)) return client;
  refuseKeyPrefix(client);
  if (isGlide(client)) return createRedisPort(glideDriver(client), false);
  if (isIoredis(client)) return createRedisPort(ioredisDriver(client), false);
  if (isNodeRedis(client)) return createRedisPort(nodeRedisDriver(client), false);
  throw new CdcCacheError(
    'CDC_INVALID_OPTION',
    'redis: a redis:// or rediss:// URL, or a node-redis, ioredis or Valkey GLIDE client (standalone or cluster)',
  );
}

/**
 * Refuse a client (or ioredis options) that prefixes keys itself: ioredis's `keyPrefix`, node-redis 6's
 * `keyPrefix` (GLIDE has none). The SDK's commands would then name `<keyPrefix><key>` while the worker
 * invalidates `<key>` (or the reverse), and entries would stay stale until their TTL. The keyspace's own
 * `prefix` option is the one prefix both sides share.
 *
 * @example
 * refuseKeyPrefix(new Redis({ keyPrefix: 'app:' })) // throws CDC_INVALID_OPTION
 */
export function refuseKeyPrefix(client: unknown): void {
  const candidate = client as {
    keyPrefix?: unknown;
    redisOptions?: { keyPrefix?: unknown };
    options?: { keyPrefix?: unknown; redisOptions?: { keyPrefix?: unknown } };
    _keyPrefix?: unknown;
  } | null;
  if (typeof candidate !== 'object' || candidate === null) return;
  const prefixes = [
    candidate.keyPrefix,
    candidate.redisOptions?.keyPrefix,
    candidate.options?.keyPrefix,
    candidate.options?.redisOptions?.keyPrefix,
    candidate._keyPrefix,
  ];
  const prefix = prefixes.find((value) => value !== undefined && value !== null && String(value) !== '');
  if (prefix === undefined) return;
  throw new CdcCacheError(
    'CDC_INVALID_OPTION',
    `redis: the client prefixes every key with keyPrefix ${JSON.stringify(String(prefix))}, which the worker's invalidations would not carry (entries would stay stale until their TTL); remove keyPrefix and set the keyspace's prefix option instead`,
  );
}

/** A port over an ioredis client opened here (closed by the port), refused and closed if it prefixes keys. */
export function openedIoredisPort(client: Redis): RedisPort {
  try {
    refuseKeyPrefix(client);
  } catch (error) {
    client.disconnect();
    throw error;
  }
  return createRedisPort(ioredisDriver(client), true);
}
