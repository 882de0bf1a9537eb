import { CdcCacheError } from '../../errors';
import { isIoredis } from '../../redis/adapters/ioredis-driver';
import { isNodeRedis } from '../../redis/adapters/node-redis-driver';
import type { RedisClient } from '../../redis/create-redis-client';
import type { InvalidationStream, InvalidationStreamOptions } from './invalidation-stream';
import { createIoredisInvalidationStream } from './ioredis-invalidation-stream';
import { createNodeRedisInvalidationStream } from './node-redis-invalidation-stream';

/** Opens the invalidation stream of one client. */
export type OpenInvalidationStream = (options: InvalidationStreamOptions) => InvalidationStream;

/**
 * The one place that decides which clients can keep a near cache coherent: ioredis and node-redis (standalone
 * or cluster) have an invalidation stream; any other client is refused with `CDC_INVALID_OPTION`. Valkey GLIDE
 * 2.x hands its caller neither tracking invalidations nor disconnect notices (docs/near-cache.md).
 *
 * @example
 * const open = invalidationStreamOf(client) // throws for a GLIDE client
 * const stream = open({ prefixes: ['shop:user:'], heartbeatMs: 1000, name: 'cdc-cache-near' })
 */
export function invalidationStreamOf(client: unknown): OpenInvalidationStream {
  if (isNodeRedis(client)) return (options) => createNodeRedisInvalidationStream(client, options);
  if (isIoredis(client)) return (options) => createIoredisInvalidationStream(client as RedisClient, options);
  throw new CdcCacheError(
    'CDC_INVALID_OPTION',
    'nearCache: needs an ioredis or node-redis client, a URL or ioredis options (a Valkey GLIDE 2.x client delivers no tracking invalidations nor disconnect notices to its caller, so no near cache can be kept coherent over it)',
  );
}
