import { REDIS_CLIENTS, type RedisClientFactory } from './redis-clients';

/** A client library the near cache runs on, with the protocol its users get by default. */
export interface NearCacheClient {
  readonly name: string;
  readonly factory: RedisClientFactory;
  /** node-redis 5 and ioredis 5 speak RESP2 by default, the 6s RESP3: the near cache must work on both. */
  readonly resp: 2 | 3;
}

/**
 * Every client the near cache supports (GLIDE is refused: docs/near-cache.md), for `describe.each`.
 *
 * @example
 * describe.each(NEAR_CACHE_CLIENTS)('near cache through $name', ({ factory, resp }) => { ... })
 */
export const NEAR_CACHE_CLIENTS: readonly NearCacheClient[] = REDIS_CLIENTS.filter(
  (factory) => !factory.name.startsWith('glide'),
).map((factory) => ({ name: factory.name, factory, resp: factory.name.endsWith('-5') ? 2 : 3 }));

/** Where a `redis://host:port` URL points. */
export function nodeOfUrl(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 6379) };
}
