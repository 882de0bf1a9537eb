import Redis, { Cluster } from 'ioredis';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';

describe('smoke: Redis and Redis Cluster', () => {
  const { redis: redisEndpoint, redisCluster } = stackEndpoints();
  const prefix = uniqueName('smoke');

  it('round-trips a value with a TTL on the standalone Redis', async () => {
    const redis = new Redis(redisEndpoint.port, redisEndpoint.host, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
    });
    await redis.connect();
    try {
      // Act
      await redis.set(`${prefix}:user:1`, JSON.stringify({ id: 1, email: 'ada@example.com' }), 'PX', 60_000);

      // Assess
      expect(JSON.parse((await redis.get(`${prefix}:user:1`))!)).toEqual({ id: 1, email: 'ada@example.com' });
      expect(await redis.pttl(`${prefix}:user:1`)).toBeGreaterThan(50_000);
      expect(await redis.del(`${prefix}:user:1`)).toBe(1);
      expect(await redis.get(`${prefix}:user:1`)).toBeNull();
    } finally {
      redis.disconnect();
    }
  });

  it('answers cluster_state:ok on every master and spreads keys over the three of them', async () => {
    // Prepare
    for (const node of redisCluster.nodes) {
      const direct = new Redis(node.port, node.host, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await direct.connect();
      const info = await direct.cluster('INFO');
      direct.disconnect();
      expect(info).toContain('cluster_state:ok');
      expect(info).toContain('cluster_slots_assigned:16384');
      expect(info).toContain(`cluster_known_nodes:${redisCluster.nodes.length}`);
    }
    const cluster = new Cluster(
      redisCluster.nodes.map(({ host, port }) => ({ host, port })),
      { lazyConnect: true },
    );
    await cluster.connect();
    const keys = Array.from({ length: 30 }, (_, i) => `${prefix}:item:${i}`);

    try {
      // Act
      await Promise.all(keys.map((key, i) => cluster.set(key, String(i), 'PX', 60_000)));

      // Assess
      expect(await Promise.all(keys.map((key) => cluster.get(key)))).toEqual(keys.map((_, i) => String(i)));
      const slots = await cluster.cluster('SLOTS');
      const owners = new Set(
        await Promise.all(
          keys.map(async (key) => {
            const slot = await cluster.cluster('KEYSLOT', key);
            return slots.find(([start, end]) => slot >= start && slot <= end)?.[2]?.[1];
          }),
        ),
      );
      expect(owners).toEqual(new Set(redisCluster.nodes.map((node) => node.port)));
    } finally {
      await Promise.all(keys.map((key) => cluster.del(key)));
      cluster.disconnect();
    }
  });
});
