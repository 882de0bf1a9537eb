import { GlideClient } from '@valkey/valkey-glide';
import { Cluster, Redis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { CdcCacheError, createCache, defineKeyspace } from '../../../src/index';
import { SHARED_REDIS_URL, uniquePrefix } from './sdk-test-kit';

// A client that prefixes keys itself (ioredis's `keyPrefix`, node-redis 6's `keyPrefix`) made the SDK fill
// `<keyPrefix><key>` while the worker invalidated `<key>`: a change never reached the entry, which stayed
// stale until its TTL (and the near cache tracked prefixes without it, so it never heard a change either).
// Every place that takes a client refuses one, naming the problem.
const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
});
const url = new URL(SHARED_REDIS_URL);
const endpoint = { host: url.hostname, port: Number(url.port || 6379) };

function expectKeyPrefixRefused(make: () => unknown): void {
  let thrown: unknown;
  try {
    make();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(CdcCacheError);
  expect(thrown).toMatchObject({ code: 'CDC_INVALID_OPTION', message: expect.stringMatching(/keyPrefix/) });
}

describe('a Redis client with its own key prefix', () => {
  const clients: { disconnect?: () => void; destroy?: () => void }[] = [];
  afterAll(() => {
    for (const client of clients) client.disconnect?.();
  });

  it('is refused by createCache as ioredis options', () => {
    const prefix = uniquePrefix('kp');
    expectKeyPrefixRefused(() =>
      createCache({ redis: { ...endpoint, keyPrefix: `${prefix}app:` }, keyspace, prefix }),
    );
  });

  it('is refused by createCache as ioredis options with a near cache', () => {
    const prefix = uniquePrefix('near-kp');
    expectKeyPrefixRefused(() =>
      createCache({
        redis: { ...endpoint, keyPrefix: `${prefix}app:` },
        keyspace,
        prefix,
        nearCache: { maxEntries: 100, ttl: '1m' },
      }),
    );
  });

  it('is refused by createCache and the worker engine as an ioredis client or Cluster', () => {
    const prefix = uniquePrefix('kp-client');
    const client = new Redis({ ...endpoint, keyPrefix: `${prefix}app:`, lazyConnect: true });
    const cluster = new Cluster([{ host: '127.0.0.1', port: 7001 }], {
      keyPrefix: `${prefix}app:`,
      lazyConnect: true,
    });
    clients.push(client, cluster);
    expectKeyPrefixRefused(() => createCache({ redis: client, keyspace, prefix }));
    expectKeyPrefixRefused(() => createCache({ redis: cluster, keyspace, prefix }));
    expectKeyPrefixRefused(() => createInvalidationEngine({ keyspace, redis: client, prefix }));
    expectKeyPrefixRefused(() =>
      createInvalidationEngine({ keyspace, redis: { ...endpoint, keyPrefix: 'x:' } }),
    );
  });

  it('is refused as a node-redis 6 client or cluster', () => {
    const prefix = uniquePrefix('kp-node-redis');
    const client = createClient({ url: SHARED_REDIS_URL, keyPrefix: `${prefix}app:` });
    const cluster = createCluster({
      rootNodes: [{ url: 'redis://127.0.0.1:7001' }],
      keyPrefix: `${prefix}app:`,
    });
    expectKeyPrefixRefused(() => createCache({ redis: client, keyspace, prefix }));
    expectKeyPrefixRefused(() => createCache({ redis: cluster, keyspace, prefix }));
    expectKeyPrefixRefused(() => createInvalidationEngine({ keyspace, redis: client, prefix }));
  });

  it('is accepted with an empty keyPrefix, and the worker then invalidates what the SDK filled', async () => {
    // Prepare
    const prefix = uniquePrefix('kp-empty');
    const admin = new Redis(SHARED_REDIS_URL);
    const cache = createCache({ redis: { ...endpoint, keyPrefix: '' }, keyspace, prefix });
    const engine = createInvalidationEngine({ keyspace, redis: admin, prefix });
    try {
      await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'old' }));
      // Act: the worker applies the row's change.
      await engine.apply([
        {
          source: 'postgres',
          table: 'public.users',
          op: 'update',
          before: { id: 1, name: 'old' },
          after: { id: 1, name: 'new' },
          key: { id: 1 },
          version: '00000000000000000100',
          committedAt: Date.now(),
          position: 0,
        },
      ]);
      const served = await cache.get('user', { id: 1 }, () => ({ id: 1, name: 'new' }));
      // Assess
      expect(served).toEqual({ id: 1, name: 'new' });
    } finally {
      await cache.close();
      await admin.del(cache.keyOf('user', { id: 1 }));
      await admin.quit();
    }
  });
});

describe('the near cache on a Valkey GLIDE client', () => {
  it('is refused, naming the option (GLIDE hands its caller neither tracking invalidations nor disconnects)', async () => {
    const client = await GlideClient.createClient({ addresses: [endpoint], requestTimeout: 1_000 });
    try {
      expect(() =>
        createCache({ redis: client, keyspace, nearCache: { maxEntries: 100, ttl: '1m' } }),
      ).toThrow(
        expect.objectContaining({
          code: 'CDC_INVALID_OPTION',
          message: expect.stringMatching(/^nearCache.*GLIDE/),
        }),
      );
    } finally {
      client.close();
    }
  });
});
