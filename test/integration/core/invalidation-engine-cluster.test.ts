import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { defineKeyspace, generationKey, tagKey } from '../../../src/keyspace';
import { REDIS_CLIENTS, type RedisClientFactory } from '../../support/redis-clients';
import { stackEndpoints } from '../../support/stack-endpoints';
import { pollUntil, uniquePrefix, userEvent } from './core-test-support';

const keyspace = defineKeyspace({
  user: {
    key: 'user:{id}',
    ttl: '5m',
    tags: ['team:{team}'],
    sources: [{ table: 'public.users', fields: { team: 'team_id' } }],
  },
  userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table: 'public.users' }] },
  profile: { key: 'profile:{id}', ttl: '10m', mode: 'refresh', sources: [{ table: 'public.users' }] },
});

async function deleteClusterPrefix(cluster: Cluster, prefix: string): Promise<void> {
  for (const node of cluster.nodes('master')) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const key of keys) await cluster.unlink(key);
    } while (cursor !== '0');
  }
}

describe('invalidation engine on Redis Cluster (127.0.0.1:7001-7003)', () => {
  let cluster: Cluster;
  let prefix: string;

  beforeAll(async () => {
    cluster = new Cluster([7001, 7002, 7003].map((port) => ({ host: '127.0.0.1', port })));
    await pollUntil(() => cluster.status === 'ready', 20_000, 'the cluster client to be ready');
  });
  beforeEach(() => {
    prefix = uniquePrefix('cluster');
  });
  afterEach(async () => {
    await deleteClusterPrefix(cluster, prefix);
  });
  afterAll(async () => {
    await cluster.quit();
  });

  it('applies a batch spanning every node with one single-node pipeline per node', async () => {
    // Prepare: no replica acknowledgement, whose replica count (INFO per node, re-read every 10 s) would add
    // a round trip per node to whichever batch comes after a slow setup on a loaded machine.
    const engine = createInvalidationEngine({
      keyspace,
      redis: cluster,
      prefix,
      replicaAck: { replicas: 'off' },
    });
    const ids = Array.from({ length: 300 }, (_unused, id) => id);
    const cachedKeys = ids.flatMap((id) => [`${prefix}user:${id}`, `${prefix}user-by-email:old${id}@x`]);
    await Promise.all(cachedKeys.map((key) => cluster.set(key, 'v|0||1|2||j1', 'PX', 60_000)));
    const slots = new Set(cachedKeys.map((key) => calculateSlot(key)));
    // Scripts go by SHA: a node that has never seen one answers NOSCRIPT once and gets EVAL in a second
    // round trip. Load them on every node first, so the count below is the steady state.
    // Steady state first: the same engine applies the same kinds of events (tombstones, refreshes, a
    // truncate) for other rows, so that every script the measured batch calls is known to every node (even on
    // a Cluster no other test has used yet: NOSCRIPT costs a second round trip) and the engine's own per-node
    // state (replica counts) is read.
    const batch = (offset: number) => [
      ...ids.map((id) =>
        userEvent({
          before: { id: id + offset, email: `old${id + offset}@x` },
          after: { id: id + offset, email: `new${id + offset}@x`, name: `n${id + offset}` },
          version: `0000000000000000${String(1000 + id)}`,
        }),
      ),
      userEvent({ op: 'truncate', before: null, after: null, key: null }),
    ];
    await engine.apply(batch(100_000));
    const pipelines = jest.spyOn(cluster, 'pipeline');
    // Act
    const outcomes = await engine.apply(batch(0));
    // Assess
    const pipelineCount = pipelines.mock.calls.length;
    pipelines.mockRestore();
    expect(slots.size).toBeGreaterThan(100);
    expect(pipelineCount).toBe(3);
    expect(outcomes.every((outcome) => outcome.status === 'applied')).toBe(true);
    const remaining = await Promise.all(cachedKeys.map((key) => cluster.exists(key)));
    expect(remaining.every((count) => count === 0)).toBe(true);
    expect(await cluster.get(`${prefix}profile:7`)).toMatch(/^v\|\d+\|00000000000000001007\|/);
    expect(await cluster.get(generationKey(prefix, 'profile'))).toMatch(/^\d+$/);
  });
});

// The same engine through every client library the port adapts, on the stack's Cluster; `cluster` (ioredis)
// prepares and inspects.
describe.each(REDIS_CLIENTS)('invalidation engine on Redis Cluster through $name', (factory) => {
  let cluster: Cluster;
  let opened: Awaited<ReturnType<RedisClientFactory['open']>>;
  let prefix: string;

  beforeAll(async () => {
    cluster = new Cluster([...stackEndpoints().redisCluster.nodes]);
    await pollUntil(() => cluster.status === 'ready', 20_000, 'the cluster client to be ready');
    opened = await factory.open({
      nodes: stackEndpoints().redisCluster.nodes,
      cluster: true,
      resp: factory.resp3 ? 3 : 2,
    });
  });
  beforeEach(() => {
    prefix = uniquePrefix('cluster');
  });
  afterEach(async () => {
    await deleteClusterPrefix(cluster, prefix);
  });
  afterAll(async () => {
    await opened.close();
    await cluster.quit();
  });

  it('keeps the refresh guard on Cluster: a late older event never overwrites a newer value', async () => {
    // Prepare
    const engine = createInvalidationEngine({ keyspace, redis: opened.port, prefix });
    await engine.apply([userEvent({ version: '00000000000000000300', after: { id: 5, name: 'new' } })]);
    // Act
    await engine.apply([userEvent({ version: '00000000000000000200', after: { id: 5, name: 'old' } })]);
    // Assess
    expect(await cluster.get(`${prefix}profile:5`)).toContain('"new"');
  });

  it('invalidates a tag whose members live in other slots, and removes exactly those members', async () => {
    // Prepare
    const engine = createInvalidationEngine({ keyspace, redis: opened.port, prefix, tagBatchSize: 50 });
    const tagSet = tagKey(prefix, 'team:3');
    const members = Array.from({ length: 180 }, (_unused, index) => `${prefix}user:${5000 + index}`);
    await Promise.all(members.map((key) => cluster.set(key, 'v|0||1|2||j1', 'PX', 60_000)));
    await cluster.sadd(tagSet, ...members);
    // Act
    const outcomes = await engine.apply([
      userEvent({ before: { id: 1, team_id: 3 }, after: { id: 1, team_id: 3 }, version: '' }),
    ]);
    // Assess
    expect(outcomes).toEqual([{ status: 'applied', actions: 3 }]); // user:1, profile:1, the tag
    const remaining = await Promise.all(members.map((key) => cluster.exists(key)));
    expect(remaining.filter((count) => count > 0)).toHaveLength(0);
    expect(await cluster.scard(tagSet)).toBe(0);
  });
});
