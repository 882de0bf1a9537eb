import { CdcCacheError } from '../errors';
import type { EntityDefinitions, Keyspace } from '../keyspace';
import { type Duration, parseDuration } from '../keyspace/parse-duration';
import { jsonSerializer, type Serializer } from '../redis/serializer';
import type { RedisPortInput } from '../redis/to-redis-port';
import {
  type NearCacheOptions,
  type NearCacheSettings,
  resolveNearCacheOptions,
} from './near-cache/near-cache-options';
import type { VerifySettings } from './verify-sampler';

/** Options of `createCache`. Durations are milliseconds or strings such as `'250ms'`, `'5s'`. */
export interface CacheOptions<Definitions extends EntityDefinitions = EntityDefinitions> {
  /**
   * A node-redis client or cluster (`redis` 5 or 6), an ioredis `Redis` or `Cluster` (5 or 6), or a Valkey
   * GLIDE 2 client (never closed by the cache); or a URL (`redis://`, `rediss://`) or ioredis options, opened
   * with ioredis and closed by `close()`.
   */
  redis: RedisPortInput;
  /** The keyspace shared with the worker. */
  keyspace: Keyspace<Definitions>;
  /** Key prefix for this deployment or tenant; overrides the keyspace's own prefix. Must match the worker's. */
  prefix?: string;
  /** Payload serializer. Default {@link jsonSerializer}, which the worker's refresh mode also writes. */
  serializer?: Serializer;
  /** How long a fill lease lives: past it, another reader may load. Default 10s. */
  leaseTtl?: Duration;
  /** How long a reader waits for another reader's fill before loading without caching. Default 3s. */
  leaseWait?: Duration;
  /** With a stale value in grace: how long to wait for the refresh before serving the stale value. Default 0 (serve stale at once). */
  loaderSoftTimeout?: Duration;
  /** Reject with `CDC_LOADER_TIMEOUT` when the loader takes longer (it keeps running and may still fill). Default 0 (off). */
  loaderHardTimeout?: Duration;
  /** Per Redis command: past it the read is served from the loader (fail-open). Default 250ms. */
  commandTimeout?: Duration;
  /** Circuit breaker: `failureThreshold` Redis failures in a row skip Redis for `resetTimeout`, then one probe. `false` turns it off. */
  breaker?: { failureThreshold?: number; resetTimeout?: Duration } | false;
  /**
   * Verify a sample of hits in the background: `rate` of fresh hits (e.g. 0.001) have their loader run
   * again `delay` later (default 30s; keep it longer than the worker's staleness window) and compared with
   * the value served; a mismatch is a `verify` event (see docs/audit.md). Default off.
   */
  verify?: {
    rate: number;
    delay?: Duration;
    maxPending?: number;
    equals?: (served: unknown, loaded: unknown) => boolean;
  };
  /**
   * An in-process LRU in front of Redis for `get`/`getMany`, kept coherent by Redis's own change reports
   * (`CLIENT TRACKING` broadcast; see docs/near-cache.md). Values it serves are deep-frozen. Default off.
   */
  nearCache?: NearCacheOptions | false;
}

/** Defaults of {@link CacheOptions}. */
export const DEFAULT_CACHE_OPTIONS = {
  leaseTtl: '10s',
  leaseWait: '3s',
  loaderSoftTimeout: 0,
  loaderHardTimeout: 0,
  commandTimeout: '250ms',
  breaker: { failureThreshold: 5, resetTimeout: '1s' },
  verify: { delay: '30s', maxPending: 1000 },
} as const;

/** Options after validation, durations in milliseconds. */
export interface ResolvedCacheOptions {
  readonly prefix: string;
  readonly serializer: Serializer;
  readonly leaseTtlMs: number;
  readonly leaseWaitMs: number;
  readonly loaderSoftTimeoutMs: number;
  readonly loaderHardTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly breaker: { readonly failureThreshold: number; readonly resetTimeoutMs: number } | false;
  readonly verify: VerifySettings | false;
  readonly nearCache: NearCacheSettings | false;
}

const KNOWN = new Set([
  'redis',
  'keyspace',
  'prefix',
  'serializer',
  'leaseTtl',
  'leaseWait',
  'loaderSoftTimeout',
  'loaderHardTimeout',
  'commandTimeout',
  'breaker',
  'verify',
  'nearCache',
]);

function invalid(name: string, problem: string): CdcCacheError {
  return new CdcCacheError('CDC_INVALID_OPTION', `createCache: option '${name}' ${problem}`, {
    details: { option: name },
  });
}

function duration(
  name: string,
  value: unknown,
  fallback: Duration,
  rules: { positive?: boolean } = {},
): number {
  const parsed = parseDuration(value ?? fallback);
  if ('error' in parsed) throw invalid(name, `is invalid: ${parsed.error}`);
  if (rules.positive && parsed.ms <= 0) throw invalid(name, 'must be longer than zero');
  return parsed.ms;
}

/**
 * Merge `options` with {@link DEFAULT_CACHE_OPTIONS} and validate them once; a bad option throws
 * `CDC_INVALID_OPTION` naming it.
 *
 * @example
 * resolveCacheOptions({ redis: 'redis://localhost', keyspace, commandTimeout: '100ms' }).commandTimeoutMs // 100
 */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'must be an object');
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw invalid(name, `is unknown (expected one of ${[...KNOWN].join(', ')})`);
  }
  const { keyspace, redis, serializer = jsonSerializer } = options;
  if (redis === undefined || redis === null || (typeof redis !== 'string' && typeof redis !== 'object')) {
    throw invalid('redis', 'is required: a redis:// URL, or a node-redis, ioredis or Valkey GLIDE client');
  }
  if (typeof keyspace !== 'object' || keyspace === null || !(keyspace.entities instanceof Map)) {
    throw invalid('keyspace', 'is required: the result of defineKeyspace(...) or loadKeyspace(...)');
  }
  const prefix = options.prefix ?? keyspace.prefix;
  if (typeof prefix !== 'string' || /[{}]/.test(prefix))
    throw invalid('prefix', 'must be a string without braces');
  if (typeof serializer?.serialize !== 'function' || typeof serializer.deserialize !== 'function') {
    throw invalid('serializer', 'must have serialize(value) and deserialize(payload) functions');
  }
  let breaker: ResolvedCacheOptions['breaker'] = false;
  if (options.breaker !== false) {
    const given = options.breaker ?? {};
    if (typeof given !== 'object' || given === null) throw invalid('breaker', 'must be an object or false');
    const failureThreshold = given.failureThreshold ?? DEFAULT_CACHE_OPTIONS.breaker.failureThreshold;
    if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
      throw invalid('breaker.failureThreshold', 'must be an integer of at least 1');
    }
    breaker = {
      failureThreshold,
      resetTimeoutMs: duration(
        'breaker.resetTimeout',
        given.resetTimeout,
        DEFAULT_CACHE_OPTIONS.breaker.resetTimeout,
        {
          positive: true,
        },
      ),
    };
  }
  return {
    prefix,
    serializer,
    verify: resolveVerify(options.verify),
    nearCache: resolveNearCacheOptions(options.nearCache),
    leaseTtlMs: duration('leaseTtl', options.leaseTtl, DEFAULT_CACHE_OPTIONS.leaseTtl, { positive: true }),
    leaseWaitMs: duration('leaseWait', options.leaseWait, DEFAULT_CACHE_OPTIONS.leaseWait),
    loaderSoftTimeoutMs: duration(
      'loaderSoftTimeout',
      options.loaderSoftTimeout,
      DEFAULT_CACHE_OPTIONS.loaderSoftTimeout,
    ),
    loaderHardTimeoutMs: duration(
      'loaderHardTimeout',
      options.loaderHardTimeout,
      DEFAULT_CACHE_OPTIONS.loaderHardTimeout,
    ),
    commandTimeoutMs: duration(
      'commandTimeout',
      options.commandTimeout,
      DEFAULT_CACHE_OPTIONS.commandTimeout,
      {
        positive: true,
      },
    ),
    breaker,
  };
}

function resolveVerify(given: CacheOptions['verify']): VerifySettings | false {
  if (given === undefined) return false;
  if (typeof given !== 'object' || given === null)
    throw invalid('verify', 'must be an object such as { rate: 0.001 }');
  if (typeof given.rate !== 'number' || !(given.rate > 0 && given.rate <= 1)) {
    throw invalid('verify.rate', 'must be a fraction of hits in (0, 1], e.g. 0.001');
  }
  const maxPending = given.maxPending ?? DEFAULT_CACHE_OPTIONS.verify.maxPending;
  if (!Number.isInteger(maxPending) || maxPending < 1)
    throw invalid('verify.maxPending', 'must be an integer of at least 1');
  if (given.equals !== undefined && typeof given.equals !== 'function') {
    throw invalid('verify.equals', 'must be a function (served, loaded) => boolean');
  }
  return {
    rate: given.rate,
    delayMs: duration('verify.delay', given.delay, DEFAULT_CACHE_OPTIONS.verify.delay, { positive: true }),
    maxPending,
    ...(given.equals ? { equals: given.equals } : {}),
  };
}
