import { CdcCacheError } from '../../errors';
import { type Duration, parseDuration } from '../../keyspace/parse-duration';

/**
 * The `nearCache` option of `createCache`: an in-process LRU in front of Redis for `get`/`getMany`, kept
 * coherent by Redis itself (`CLIENT TRACKING ... BCAST`, see docs/near-cache.md). Off when absent.
 */
export interface NearCacheOptions {
  /** Most entries held. */
  maxEntries: number;
  /** Most bytes held (estimated from key and payload lengths). Default: no byte bound. */
  maxBytes?: number;
  /**
   * Longest time an entry is served from memory after it was read from Redis, whatever Redis says: the
   * bound on staleness should an invalidation ever go missing undetected. Default 10s.
   */
  ttl?: Duration;
  /**
   * Which entities use it: `'all'` (default) but those with `nearCache: false` in the keyspace, or
   * `'opted-in'`, only those with `nearCache: true`.
   */
  entities?: 'all' | 'opted-in';
  /**
   * How often the invalidation connection is pinged; two missed pongs in a row count as a lost connection
   * (the near cache is cleared). Default 1s.
   */
  heartbeat?: Duration;
}

/** Defaults of {@link NearCacheOptions}. */
export const DEFAULT_NEAR_CACHE_OPTIONS = { ttl: '10s', entities: 'all', heartbeat: '1s' } as const;

/** {@link NearCacheOptions} after validation. */
export interface NearCacheSettings {
  readonly maxEntries: number;
  readonly maxBytes: number;
  readonly ttlMs: number;
  readonly entities: 'all' | 'opted-in';
  readonly heartbeatMs: number;
}

const KNOWN = new Set(['maxEntries', 'maxBytes', 'ttl', 'entities', 'heartbeat']);

function invalid(name: string, problem: string): CdcCacheError {
  return new CdcCacheError('CDC_INVALID_OPTION', `createCache: option 'nearCache.${name}' ${problem}`, {
    details: { option: `nearCache.${name}` },
  });
}

function positiveMs(name: string, value: unknown, fallback: Duration): number {
  const parsed = parseDuration(value ?? fallback);
  if ('error' in parsed) throw invalid(name, `is invalid: ${parsed.error}`);
  if (parsed.ms <= 0) throw invalid(name, 'must be longer than zero');
  return parsed.ms;
}

/**
 * Validate the `nearCache` option once; `undefined` or `false` turns the near cache off. A bad field throws
 * `CDC_INVALID_OPTION` naming it.
 *
 * @example
 * resolveNearCacheOptions({ maxEntries: 10_000, ttl: '5s' }) // { maxEntries: 10000, ttlMs: 5000, ... }
 */
export function resolveNearCacheOptions(given: unknown): NearCacheSettings | false {
  if (given === undefined || given === false) return false;
  if (typeof given !== 'object' || given === null) {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      "createCache: option 'nearCache' must be an object such as { maxEntries: 10000, ttl: '10s' }",
      { details: { option: 'nearCache' } },
    );
  }
  const options = given as Record<string, unknown>;
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw invalid(name, `is unknown (expected one of ${[...KNOWN].join(', ')})`);
  }
  const { maxEntries, maxBytes, entities = DEFAULT_NEAR_CACHE_OPTIONS.entities } = options;
  if (!Number.isInteger(maxEntries) || (maxEntries as number) < 1)
    throw invalid('maxEntries', 'must be an integer of at least 1');
  if (maxBytes !== undefined && (!Number.isInteger(maxBytes) || (maxBytes as number) < 1))
    throw invalid('maxBytes', 'must be an integer of at least 1');
  if (entities !== 'all' && entities !== 'opted-in') throw invalid('entities', "must be 'all' or 'opted-in'");
  return {
    maxEntries: maxEntries as number,
    maxBytes: (maxBytes as number | undefined) ?? Number.POSITIVE_INFINITY,
    ttlMs: positiveMs('ttl', options['ttl'], DEFAULT_NEAR_CACHE_OPTIONS.ttl),
    entities,
    heartbeatMs: positiveMs('heartbeat', options['heartbeat'], DEFAULT_NEAR_CACHE_OPTIONS.heartbeat),
  };
}
