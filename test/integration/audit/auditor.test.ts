// The auditor against the shared Redis, on its own prefix, with the engine as the worker and a fake clock
// for the auditor's schedule (the entries carry real write times).
import { type AuditEvent, createAuditor } from '../../../src/audit/create-auditor';
import type { ChangeEvent } from '../../../src/core/change-event';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { createCache, keyspaceFromData } from '../../../src/index';
import { writeEntry } from '../../../src/sdk/entry-codec';
import { currentGeneration } from '../../support/current-generation';
import { deletePrefix, sharedRedis, uniquePrefix } from '../core/core-test-support';

const keyspace = keyspaceFromData({
  entities: {
    user: { key: 'user:{id}', ttl: '10m', sources: [{ table: 'public.users' }] },
    product: { key: 'product:{sku}', ttl: '10m', mode: 'refresh', sources: [{ table: 'public.products' }] },
  },
});
const redis = sharedRedis();
const prefix = uniquePrefix('audit');
const cache = createCache({ redis, keyspace, prefix });
const engine = createInvalidationEngine({ keyspace, redis, prefix });

afterAll(async () => {
  await deletePrefix(redis, prefix);
  await cache.close();
  await engine.close();
  redis.disconnect();
});

let version = 100;
function userChange(id: number, committedAt: number): ChangeEvent {
  version += 1;
  return {
    source: 'postgres',
    table: 'public.users',
    op: 'update',
    before: { id, name: 'old' },
    after: { id, name: 'new' },
    key: { id },
    version: String(version).padStart(20, '0'),
    committedAt,
    position: version,
  };
}

function auditorWithClock(options: { maxPending?: number; sampleRate?: number; random?: () => number } = {}) {
  const clock = { now: Date.now() };
  const events: AuditEvent[] = [];
  const auditor = createAuditor({
    keyspace,
    prefix,
    redis,
    delaysMs: [1_000, 10_000],
    recheckMs: 1_000,
    now: () => clock.now,
    onEvent: (event) => events.push(event),
    ...options,
  });
  return { auditor, clock, events };
}

describe('createAuditor', () => {
  it('calls a change applied by the worker consistent at every delay', async () => {
    // Prepare: a cached user, then a change the worker applies
    await cache.get('user', { id: 1 }, async () => ({ id: 1, name: 'old' }));
    const { auditor, clock } = auditorWithClock();
    const change = userChange(1, Date.now() + 1);
    await engine.apply([change]);
    auditor.observe([change], change.committedAt!);

    // Act
    clock.now = change.committedAt! + 1_000;
    await auditor.runDue();
    clock.now = change.committedAt! + 10_000;
    await auditor.runDue();

    // Assess
    const stats = auditor.stats();
    expect(stats.delays).toEqual([
      { delayMs: 1_000, checked: 1, inconsistent: 0, late: 0 },
      { delayMs: 10_000, checked: 1, inconsistent: 0, late: 0 },
    ]);
    expect({ pending: stats.pending, resolved: stats.resolved, unresolved: stats.unresolved }).toEqual({
      pending: 0,
      resolved: 0,
      unresolved: 0,
    });
  });

  it('reports a change the worker has not applied, rechecks it, and times its resolution', async () => {
    // Prepare: a cached user and a change nobody applies yet
    await cache.get('user', { id: 2 }, async () => ({ id: 2, name: 'old' }));
    const { auditor, clock, events } = auditorWithClock();
    const change = userChange(2, Date.now() + 1);
    auditor.observe([change], change.committedAt!);

    // Act: inconsistent at 1 s, still at the 2 s recheck, then the worker catches up
    clock.now = change.committedAt! + 1_000;
    await auditor.runDue();
    clock.now = change.committedAt! + 2_000;
    await auditor.runDue();
    await engine.apply([change]);
    clock.now = change.committedAt! + 3_000;
    await auditor.runDue();
    clock.now = change.committedAt! + 10_000;
    await auditor.runDue();

    // Assess
    expect(auditor.stats().delays.map(({ checked, inconsistent }) => [checked, inconsistent])).toEqual([
      [1, 1],
      [1, 0],
    ]);
    const checked = events.find((event) => event.type === 'checked');
    expect(checked).toMatchObject({
      consistent: false,
      key: `${prefix}user:2`,
      verdict: { consistent: false, reason: 'written-before' },
    });
    expect(events.filter((event) => event.type === 'resolved')).toEqual([
      { type: 'resolved', durationMs: 3_000 },
    ]);
    expect(auditor.stats().pending).toBe(0);
  });

  it('reports a planted value older than the change as unresolved at the last delay', async () => {
    // Prepare: the worker applied the change, then an old refresh-mode value is planted (a lost invalidation)
    const { auditor, clock, events } = auditorWithClock();
    const committedAt = Date.now();
    const change: ChangeEvent = {
      ...userChange(0, committedAt),
      table: 'public.products',
      before: { sku: 'A-1', name: 'Lamp' },
      after: { sku: 'A-1', name: 'Lamp 2' },
      key: { sku: 'A-1' },
    };
    await engine.apply([change]);
    const older = String(version - 1).padStart(20, '0');
    await redis.set(
      `${prefix}product:A-1`,
      writeEntry({
        generation: await currentGeneration(redis, prefix, 'product'),
        version: older,
        writtenAtMs: committedAt + 5,
        staleAtMs: committedAt + 60_000,
        payload: 'j{}',
      }),
    );
    auditor.observe([change], committedAt);

    // Act
    for (const at of [1_000, 2_000, 10_000]) {
      clock.now = committedAt + at;
      await auditor.runDue();
    }

    // Assess
    expect(auditor.stats()).toMatchObject({ unresolved: 1, resolved: 0, pending: 0 });
    expect(events.filter((event) => event.type === 'checked')).toEqual([
      expect.objectContaining({
        delayMs: 1_000,
        consistent: false,
        verdict: expect.objectContaining({ reason: 'older-version' }),
      }),
      expect.objectContaining({ delayMs: 10_000, consistent: false }),
    ]);
    expect(events).toContainEqual({ type: 'unresolved', key: `${prefix}product:A-1` });
  });

  it('skips delays that passed before a change arrived, samples, and drops what does not fit', async () => {
    // Prepare
    const full = auditorWithClock({ maxPending: 1 });
    const sampled = auditorWithClock({
      sampleRate: 0.5,
      random: (() => {
        let n = 0;
        return () => (n++ % 2 === 0 ? 0.1 : 0.9);
      })(),
    });
    const now = Date.now();

    // Act
    full.auditor.observe([userChange(3, now - 2_000)], now); // 1 s already passed: only 10 s is measured
    full.auditor.observe([userChange(4, now)], now); // no room
    full.auditor.observe([{ ...userChange(5, now), table: 'public.other' }], now);
    sampled.auditor.observe(
      [userChange(6, now), userChange(7, now), userChange(8, now), userChange(9, now)],
      now,
    );

    // Assess
    expect(full.auditor.stats()).toMatchObject({
      admitted: 1,
      pending: 1,
      skipped: { 'queue-full': 1, 'not-planned': 1 },
      delays: [expect.objectContaining({ late: 1 }), expect.objectContaining({ late: 0 })],
    });
    expect(sampled.auditor.stats()).toMatchObject({ admitted: 2, skipped: { 'sampled-out': 2 } });
  });
});
