import { Cluster, Redis, type RedisOptions } from 'ioredis';

/** A Redis client cdc-cache can use: standalone or Cluster. */
export type RedisClient = Redis | Cluster;

/** What callers may pass as `redis`: a URL (`redis://`, `rediss://`), ioredis options, or an existing client. */
export type RedisInput = string | RedisOptions | RedisClient;

/** A client plus whether we created it (and so must close it). */
export interface ResolvedRedis {
  readonly client: RedisClient;
  readonly owned: boolean;
}

/**
 * Resolve the `redis` option: reuse a client that was passed in (never closed by us), or create one from a
 * URL or options (closed by whoever owns the returned value). `defaults` apply only to clients we create.
 *
 * @example
 * const { client, owned } = resolveRedis('rediss://default:secret@cache.example.com:6379')
 */
export function resolveRedis(input: RedisInput, defaults: RedisOptions = {}): ResolvedRedis {
  if (input instanceof Redis || input instanceof Cluster) return { client: input, owned: false };
  if (typeof input === 'string') return { client: new Redis(input, defaults), owned: true };
  return { client: new Redis({ ...defaults, ...input }), owned: true };
}

/**
 * Longest wait for any one reply (plus the WAIT timeout). Why: ioredis keeps a command that was in flight
 * when the connection dropped until a reconnect succeeds, so after a password rotation (every reconnect
 * refused with WRONGPASS) a batch would hang forever without a word; timed out, it is a retriable fault
 * that pauses the worker loudly.
 */
export const WORKER_COMMAND_TIMEOUT_MS = 5_000;
