import calculateSlot from 'cluster-key-slot';
import { Cluster } from 'ioredis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { defineKeyspace, versionKey } from '../../../src/keyspace';
import { pollUntil, uniquePrefix, userEvent } from './core-test-support';

// Versioned tombstones grouped
// into one write-tombstones-n.lua call per slot on the real Cluster keep per-key semantics: every memory
// written with its version and ttl, a newer value kept, an older one deleted, whatever the slot mix.
const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
});
const v = (n: number) => String(n).padStart(20, '0');

describe('write-tombstones-n.lua per slot on Redis Cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = new Cluster([7001, 7002, 7003].map((port) => ({ host: '127.0.0.1', port })));
    await pollUntil(() => cluster.status === 'ready', 20_000, 'the cluster client to be ready');
  });
  afterAll(async () => {
    await cluster.quit();
  });

  it('keeps newer values, deletes older ones and remembers every version, across hundreds of slots', async () => {
    // Prepare: even ids hold a value newer than their change, odd ids an older one.
    const prefix = uniquePrefix('tomb-cluster');
    const engine = createInvalidationEngine({ keyspace, redis: cluster, prefix, tombstoneTtlMs: 60_000 });
    const ids = Array.from({ length: 600 }, (_unused, id) => id);
    const keyOf = (id: number) => `${prefix}user:${id}`;
    for (const id of ids)
      await cluster.set(keyOf(id), `v|0|${v(id % 2 === 0 ? 5000 : 1)}|1|2||j1`, 'PX', 60_000);
    expect(new Set(ids.map((id) => calculateSlot(keyOf(id)))).size).toBeGreaterThan(300);
    // Act
    const outcomes = await engine.apply(
      ids.map((id) =>
        userEvent({
          op: 'update',
          before: { id },
          after: { id, name: 'x' },
          key: { id },
          version: v(1000 + id),
        }),
      ),
    );
    // Assess
    expect(outcomes.every((outcome) => outcome.status === 'applied')).toBe(true);
    for (const id of ids) {
      expect([id, await cluster.exists(keyOf(id))]).toEqual([id, id % 2 === 0 ? 1 : 0]);
      const memory = versionKey(prefix, keyOf(id));
      expect(await cluster.get(memory)).toMatch(new RegExp(`^${v(1000 + id)}\\|\\d+(\\|\\d*)?$`));
      const ttl = await cluster.pttl(memory);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    for (const id of ids) await cluster.unlink(keyOf(id), versionKey(prefix, keyOf(id)));
  });
});
