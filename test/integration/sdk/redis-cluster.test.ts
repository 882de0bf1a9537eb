import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { createCache } from '../../../src/index';
import { generationKey } from '../../../src/keyspace';
import { REDIS_CLIENTS, type RedisClientFactory } from '../../support/redis-clients';
import { deferred, pollUntil, testKeyspace, uniquePrefix, userRecord } from './sdk-test-kit';

// The Redis Cluster of `npm run stack:up` (127.0.0.1:7001-7003). Entry, generation and tag keys fall in
// different slots, so the SDK must never send them to one script or one MGET.
const CLUSTER_NODES = (
  process.env['CDC_CACHE_TEST_REDIS_CLUSTER_NODES'] ?? '127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003'
)
  .split(',')
  .map((node) => {
    const [host, port] = node.split(':');
    return { host: host!, port: Number(port) };
  });

// The cache reads through each client library the Redis port adapts; `cluster` (ioredis) prepares and inspects.
describe.each(REDIS_CLIENTS)('createCache on Redis Cluster through $name', (factory) => {
  const cluster = new Cluster(CLUSTER_NODES);
  let opened: Awaited<ReturnType<RedisClientFactory['open']>>;
  beforeAll(async () => {
    opened = await factory.open({ nodes: CLUSTER_NODES, cluster: true, resp: factory.resp3 ? 3 : 2 });
  });
  afterAll(async () => {
    await opened.close();
    await cluster.quit();
  });

  it('loads once, hits, honours the generation and cancels a raced fill across slots', async () => {
    // Prepare
    const prefix = uniquePrefix('cluster');
    const cache = createCache({ redis: opened.client as object, keyspace: testKeyspace(), prefix });
    let calls = 0;
    const loader = async () => {
      calls += 1;
      return userRecord({ id: 1 });
    };
    // Act
    const first = await cache.get('user', { id: 1 }, loader);
    const second = await cache.get('user', { id: 1 }, loader);
    await cluster.incr(generationKey(prefix, 'user'));
    const afterTruncate = await cache.get('user', { id: 1 }, loader);
    const loaded = deferred();
    const writeBack = deferred();
    const racing = cache.get('user', { id: 2 }, async () => {
      loaded.resolve();
      await writeBack.promise;
      return userRecord({ id: 2, name: 'before' });
    });
    await loaded.promise;
    await cluster.unlink(cache.keyOf('user', { id: 2 }));
    writeBack.resolve();
    await racing;
    // Assess
    expect(first).toEqual(userRecord({ id: 1 }));
    expect(second).toEqual(first);
    expect(afterTruncate).toEqual(first);
    expect(calls).toBe(2);
    expect(await cache.peek('user', { id: 2 })).toBeUndefined();
    await cache.close();
    expect(cluster.status).toBe('ready');
  });

  it('gets many keys of different slots and deletes by tag across slots', async () => {
    // Prepare
    const cache = createCache({
      redis: opened.client as object,
      keyspace: testKeyspace(),
      prefix: uniquePrefix('cluster-many'),
    });
    const ids = [10, 11, 12, 13, 14, 15];
    // Act
    const loadedValues = await cache.getMany(
      'user',
      ids.map((id) => ({ id })),
      (paramsList) => paramsList.map((params) => userRecord({ id: Number(params.id) })),
      { tagParams: { tenantId: 3 } },
    );
    const deleted = await cache.deleteByTag('tenant:3');
    const peeked = await Promise.all(ids.map((id) => cache.peek('user', { id })));
    // Assess
    expect(loadedValues.map((value) => value?.id)).toEqual(ids);
    expect(deleted).toBe(ids.length);
    expect(peeked).toEqual(ids.map(() => undefined));
  });

  if (factory.name.startsWith('glide')) {
    it('refuses a near cache (GLIDE hands its caller neither tracking invalidations nor disconnects)', () => {
      expect(() =>
        createCache({
          redis: opened.client as object,
          keyspace: testKeyspace(),
          nearCache: { maxEntries: 100 },
        }),
      ).toThrow(expect.objectContaining({ code: 'CDC_INVALID_OPTION' }));
    });
    return;
  }

  it('keeps a near cache coherent across every node: changes, truncates and a killed node connection', async () => {
    // Prepare
    const prefix = uniquePrefix('cluster-near');
    const cache = createCache({
      redis: opened.client as object,
      keyspace: testKeyspace(),
      prefix,
      nearCache: { maxEntries: 100, heartbeat: '5s' },
    });
    await pollUntil(() => cache.nearCache!.stats().up, { description: 'a tracking connection per node' });
    const ids = [1, 2, 3, 4, 5, 6, 7, 8];
    const names = new Map(ids.map((id) => [id, 'v1']));
    const load = (id: number) => () => ({ id, name: names.get(id) });
    const warm = async () => {
      await Promise.all(ids.map((id) => cache.get('user', { id }, load(id))));
      await cache.nearCache!.sync();
      await Promise.all(ids.map((id) => cache.get('user', { id }, load(id))));
    };
    await warm();
    const held = cache.nearCache!.stats().entries;
    const nodes = new Set(ids.map((id) => cluster.slots[calculateSlot(cache.keyOf('user', { id }))]![0]));
    // Act: change every key (their slots live on several nodes), then truncate, then kill one node's connection
    for (const id of ids) {
      names.set(id, 'v2');
      await cluster.unlink(cache.keyOf('user', { id }));
    }
    await cache.nearCache!.sync();
    const afterChange = await Promise.all(ids.map((id) => cache.get('user', { id }, load(id))));
    await warm();
    for (const id of ids) names.set(id, 'v3');
    await cluster.incr(generationKey(prefix, 'user'));
    await cache.nearCache!.sync();
    const afterTruncate = await Promise.all(ids.map((id) => cache.get('user', { id }, load(id))));
    await warm();
    const [victim] = await cache.nearCache!.clientIds();
    const killers = cluster.nodes('master');
    await Promise.all(killers.map((node) => node.client('KILL', 'ID', String(victim)).catch(() => 0)));
    await pollUntil(() => cache.nearCache!.stats().clears > 0, { description: 'the near cache cleared' });
    const entriesAfterKill = cache.nearCache!.stats().entries;
    // Assess
    expect(nodes.size).toBeGreaterThan(1);
    expect(held).toBe(ids.length);
    expect(afterChange.map((value) => value?.name)).toEqual(ids.map(() => 'v2'));
    expect(afterTruncate.map((value) => value?.name)).toEqual(ids.map(() => 'v3'));
    expect(entriesAfterKill).toBe(0);
    await pollUntil(() => cache.nearCache!.stats().up, { description: 'up again' });
    await cache.close();
  });
});
