import { Redis } from 'ioredis';
import type { RedisPort } from '../../../src/redis/redis-port';
import { createShardStore, SHARD_END } from '../../../src/runtimes/dynamodb-worker';
import { REDIS_CLIENTS, type RedisClientFactory } from '../../support/redis-clients';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';

// Checked through every client library the Redis port adapts; `redis` (ioredis) only inspects.
const redis = new Redis(stackEndpoints().redis.url);
afterAll(() => redis.disconnect());

describe.each(REDIS_CLIENTS)('createShardStore (Redis leases and checkpoints) through $name', (factory) => {
  let opened: Awaited<ReturnType<RedisClientFactory['open']>>;
  let port: RedisPort;
  beforeAll(async () => {
    const { host, port: tcpPort } = stackEndpoints().redis;
    opened = await factory.open({
      nodes: [{ host, port: tcpPort }],
      cluster: false,
      resp: factory.resp3 ? 3 : 2,
    });
    port = opened.port;
  });
  afterAll(async () => opened.close());

  function stores(leaseMs: number) {
    const prefix = `${uniqueName('ckpt')}:`;
    const make = (owner: string) =>
      createShardStore({ redis: port, prefix, table: 'Products', owner, leaseMs });
    return { prefix, first: make('worker-a'), second: make('worker-b') };
  }

  it('gives a shard to one owner at a time and fences the checkpoints of an owner that lost it', async () => {
    // Prepare
    const { first, second } = stores(300);
    expect(await first.claim('shard-1')).toEqual({ claimed: true, checkpoint: '' });
    expect(await first.checkpoint('shard-1', '000000000000000000010')).toBe(true);
    expect((await second.claim('shard-1')).claimed).toBe(false);

    // Act: the first owner stops renewing; its lease expires and the second takes over
    const takeover = await waitFor(
      async () => {
        const claim = await second.claim('shard-1');
        return claim.claimed ? claim : undefined;
      },
      { description: 'lease expired', timeoutMs: 5_000, intervalMs: 50 },
    );

    // Assess: the checkpoint carries over; the old owner can neither renew nor move it
    expect(takeover.checkpoint).toBe('000000000000000000010');
    expect(await first.renew('shard-1')).toBe(false);
    expect(await first.checkpoint('shard-1', '000000000000000000099')).toBe(false);
    expect((await second.checkpoints(['shard-1', 'shard-2'])).get('shard-1')).toBe('000000000000000000010');
  });

  it('keeps the checkpoint on release, marks finished shards and lets their state expire', async () => {
    // Prepare
    const { prefix, first, second } = stores(60_000);
    await first.claim('shard-1');
    await first.checkpoint('shard-1', '000000000000000000020');

    // Act
    await first.release('shard-1');
    const claim = await second.claim('shard-1');
    await second.finish('shard-1');

    // Assess
    expect(claim).toEqual({ claimed: true, checkpoint: '000000000000000000020' });
    expect((await first.checkpoints(['shard-1'])).get('shard-1')).toBe(SHARD_END);
    const ttl = await redis.pttl(`${prefix}_cc:ckpt:Products:shard-1`);
    expect(ttl).toBeGreaterThan(47 * 3600_000);
  });

  it('works on Redis Cluster: every script touches one key', async () => {
    // Prepare
    const cluster = await factory.open({
      nodes: stackEndpoints().redisCluster.nodes,
      cluster: true,
      resp: 2,
    });
    const prefix = `${uniqueName('ckpt')}:`;
    const store = createShardStore({
      redis: cluster.port,
      prefix,
      table: 'Products',
      owner: 'worker-a',
      leaseMs: 60_000,
    });

    // Act
    const claims = await Promise.all(['shard-1', 'shard-2', 'shard-3'].map((shard) => store.claim(shard)));
    const saved = await store.checkpoint('shard-2', '000000000000000000042');
    const checkpoints = await store.checkpoints(['shard-1', 'shard-2', 'shard-3']);
    const workers = await store.heartbeat();

    // Assess
    expect(claims.every((claim) => claim.claimed)).toBe(true);
    expect(saved).toBe(true);
    expect([...checkpoints.values()]).toEqual(['', '000000000000000000042', '']);
    expect(workers).toBe(1);
    await cluster.close();
  });

  it('counts live workers by heartbeat and forgets those that leave', async () => {
    // Prepare
    const { first, second } = stores(60_000);

    // Act
    await first.heartbeat();
    const both = await second.heartbeat();
    await second.leave();
    const one = await first.heartbeat();

    // Assess
    expect([both, one]).toEqual([2, 1]);
  });
});
