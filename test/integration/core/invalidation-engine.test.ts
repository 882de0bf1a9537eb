import type { Redis } from 'ioredis';
import { CACHE_ACTION_KINDS } from '../../../src/core/cache-action';
import { coalesceActions } from '../../../src/core/coalesce-actions';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { planActions } from '../../../src/core/plan-actions';
import type { InvalidationEngine } from '../../../src/core/ports';
import { defineKeyspace, generationKey, tagKey } from '../../../src/keyspace';
import { createInstrumentation } from '../../../src/observability/instrumentation';
import type { RedisPort } from '../../../src/redis/redis-port';
import { jsonSerializer } from '../../../src/redis/serializer';
import { REDIS_CLIENTS, type RedisClientFactory } from '../../support/redis-clients';
import { stackEndpoints } from '../../support/stack-endpoints';
import { deletePrefix, sharedRedis, uniquePrefix, userEvent } from './core-test-support';

const keyspace = defineKeyspace({
  user: {
    key: 'user:{id}',
    ttl: '5m',
    tags: ['team:{team}'],
    sources: [{ table: 'public.users', fields: { team: 'team_id' } }],
  },
  userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table: 'public.users' }] },
  profile: {
    key: 'profile:{id}',
    ttl: '10m',
    mode: 'refresh',
    fields: ['id', 'name'],
    sources: [{ table: 'public.users' }],
  },
});

const V100 = '00000000000000000100';
const V200 = '00000000000000000200';
const V300 = '00000000000000000300';

// The engine talks to Redis through each client library the port adapts; `redis` (ioredis) prepares and inspects.
describe.each(REDIS_CLIENTS)('invalidation engine on real Redis through $name', (factory) => {
  let redis: Redis;
  let opened: Awaited<ReturnType<RedisClientFactory['open']>>;
  let port: RedisPort;
  let prefix: string;
  let engine: InvalidationEngine;
  const now = () => 1_700_000_000_000;

  beforeAll(async () => {
    redis = sharedRedis();
    const { host, port: tcpPort } = stackEndpoints().redis;
    opened = await factory.open({
      nodes: [{ host, port: tcpPort }],
      cluster: false,
      resp: factory.resp3 ? 3 : 2,
    });
    port = opened.port;
  });
  beforeEach(() => {
    prefix = uniquePrefix('engine');
    engine = createInvalidationEngine({ keyspace, redis: port, prefix, now, tagBatchSize: 100 });
  });
  afterEach(async () => {
    await engine.close();
    await deletePrefix(redis, prefix);
  });
  afterAll(async () => {
    await redis.quit();
    await opened.close();
  });
  /** The version the worker remembers for an entry key (its versioned tombstone), or null. */
  const remembered = async (key: string) =>
    (await redis.get(`${prefix}_cc:ver:{${key}}`))?.split('|')[0] ?? null;

  it('deletes the keys of both images in one batch and reports one outcome per event', async () => {
    // Prepare
    const events = Array.from({ length: 600 }, (_unused, id) =>
      userEvent({
        before: { id, email: `old${id}@x` },
        after: { id, email: `new${id}@x` },
        version: '',
      }),
    );
    const keys = events.flatMap((_event, id) => [`${prefix}user:${id}`, `${prefix}user-by-email:old${id}@x`]);
    await redis.mset(...keys.flatMap((key) => [key, 'v|0||1|2||j1']));
    const pipelines = jest.spyOn(port, 'batch');
    // Act
    const outcomes = await engine.apply([...events, userEvent({ table: 'public.orders' })]);
    // Assess
    expect(pipelines).toHaveBeenCalledTimes(1);
    pipelines.mockRestore();
    expect(await redis.exists(...keys)).toBe(0);
    expect(outcomes).toHaveLength(601);
    expect(outcomes[0]).toEqual({ status: 'applied', actions: 4 });
    expect(outcomes[600]).toEqual({
      status: 'skipped',
      reason: "table 'public.orders' is not in the keyspace",
    });
  });

  it('refreshes an absent key with the projected image, at the current generation, with the entity TTL', async () => {
    // Prepare
    await redis.set(generationKey(prefix, 'profile'), '3');
    // Act
    await engine.apply([userEvent({ version: V200 })]);
    // Assess
    const raw = await redis.get(`${prefix}profile:42`);
    const payload = jsonSerializer.serialize({ id: 42, name: 'Ada L.' });
    expect(raw).toMatch(new RegExp(`^v\\|3\\|${V200}\\|${now()}\\|\\d+\\|\\|`));
    expect(raw?.endsWith(`||${payload}`)).toBe(true);
    const staleAt = Number(raw?.split('|')[4]);
    expect(staleAt - now()).toBeGreaterThanOrEqual(600_000);
    expect(staleAt - now()).toBeLessThanOrEqual(660_000);
    expect(await redis.pttl(`${prefix}profile:42`)).toBeGreaterThan(590_000);
  });

  it('never overwrites a newer or equal version, and replaces an older one', async () => {
    // Prepare
    const key = `${prefix}profile:42`;
    await engine.apply([userEvent({ version: V200, after: { id: 42, name: 'at 200' } })]);
    // Act: a duplicate and an older, reordered event
    await engine.apply([userEvent({ version: V200, after: { id: 42, name: 'dup' } })]);
    await engine.apply([userEvent({ version: V100, after: { id: 42, name: 'at 100' } })]);
    const afterLate = await redis.get(key);
    await engine.apply([userEvent({ version: V300, after: { id: 42, name: 'at 300' } })]);
    // Assess
    expect(afterLate).toContain('"at 200"');
    expect(await redis.get(key)).toContain('"at 300"');
  });

  it('deletes an unversioned SDK fill (a versioned tombstone) instead of writing possibly older data', async () => {
    // Prepare
    const key = `${prefix}profile:42`;
    await redis.set(key, `v|0||${now()}|${now() + 1000}||j{"name":"sdk"}`, 'PX', 60_000);
    // Act
    const outcomes = await engine.apply([userEvent({ version: V200 })]);
    // Assess
    expect(outcomes).toEqual([{ status: 'applied', actions: 4 }]); // user, two emails, profile
    expect(await redis.get(key)).toBeNull();
    expect(await remembered(key)).toBe(V200);
  });

  it('replaces an SDK lease, which cancels that fill', async () => {
    // Prepare
    const key = `${prefix}profile:42`;
    await redis.set(key, 'l|0||token-1', 'PX', 10_000);
    // Act
    await engine.apply([userEvent({ version: V200 })]);
    // Assess
    expect(await redis.get(key)).toMatch(new RegExp(`^v\\|\\d+\\|${V200}\\|`));
  });

  it('leaves a tombstone on delete that a late, older refresh cannot pass; a newer one can', async () => {
    // Prepare
    const key = `${prefix}profile:42`;
    await engine.apply([userEvent({ version: V100, after: { id: 42, name: 'at 100' } })]);
    // Act
    await engine.apply([userEvent({ op: 'delete', after: null, version: V300 })]);
    const tombstone = [await redis.get(key), await remembered(key)];
    await engine.apply([userEvent({ version: V200, after: { id: 42, name: 'late 200' } })]);
    const afterLate = [await redis.get(key), await remembered(key)];
    await engine.apply([userEvent({ op: 'delete', after: null, version: V200 })]);
    const afterLateDelete = [await redis.get(key), await remembered(key)];
    await engine.apply([userEvent({ op: 'create', before: null, version: '00000000000000000400' })]);
    // Assess
    expect(tombstone).toEqual([null, V300]);
    expect(afterLate).toEqual(tombstone);
    expect(afterLateDelete).toEqual(tombstone);
    expect(await redis.get(key)).toMatch(/^v\|\d+\|00000000000000000400\|/);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
  });

  it('a tombstone never replaces a newer value', async () => {
    // Prepare
    const key = `${prefix}profile:42`;
    await engine.apply([userEvent({ version: V300 })]);
    // Act
    await engine.apply([userEvent({ op: 'delete', after: null, version: V200 })]);
    // Assess
    expect(await redis.get(key)).toMatch(new RegExp(`^v\\|\\d+\\|${V300}\\|`));
  });

  it('gives every bound entity a new random generation on truncate', async () => {
    // Prepare
    await redis.set(generationKey(prefix, 'user'), '5');
    // Act
    await engine.apply([userEvent({ op: 'truncate', before: null, after: null, key: null })]);
    // Assess
    const generations = await redis.mget(
      ...['user', 'userByEmail', 'profile'].map((name) => generationKey(prefix, name)),
    );
    expect(generations).toEqual([
      expect.stringMatching(/^\d+$/),
      expect.stringMatching(/^\d+$/),
      expect.stringMatching(/^\d+$/),
    ]);
    expect(generations[0]).not.toBe('5');
    expect(new Set(generations).size).toBe(3);
  });

  it('turns a late refresh from before a truncate into a tombstone, so the truncated row does not come back', async () => {
    // Prepare
    const key = `${prefix}profile:42`;
    await engine.apply([userEvent({ op: 'truncate', before: null, after: null, key: null, version: V200 })]);
    // Act: an older update delivered late (another partition), then a re-insert after the truncate
    await engine.apply([userEvent({ version: V100, after: { id: 42, name: 'before truncate' } })]);
    const afterLate = await redis.get(key);
    await engine.apply([
      userEvent({ op: 'create', before: null, version: V300, after: { id: 42, name: 'again' } }),
    ]);
    // Assess
    const generation = await redis.get(generationKey(prefix, 'profile'));
    expect(afterLate).toBeNull();
    expect(await redis.get(key)).toMatch(new RegExp(`^v\\|${generation}\\|${V300}\\|.*"again"`));
  });

  it('invalidates every member of a big tag set in bounded steps and removes exactly those members', async () => {
    // Prepare
    const tagSet = tagKey(prefix, 'team:9');
    const members = Array.from({ length: 250 }, (_unused, index) => `${prefix}user:${1000 + index}`);
    await redis.mset(...members.flatMap((key) => [key, 'v|0||1|2||j1']));
    await redis.sadd(tagSet, ...members);
    // Act
    const outcomes = await engine.apply([
      userEvent({ before: { id: 1, team_id: 9 }, after: { id: 1, team_id: 9 }, version: '' }),
    ]);
    // Assess
    expect(outcomes[0]).toMatchObject({ status: 'applied' });
    expect(await redis.exists(...members)).toBe(0);
    expect(await redis.scard(tagSet)).toBe(0);
  });

  it('fails only the events whose action Redis rejects, and applies the others', async () => {
    // Prepare: a tag set key that someone overwrote with a string
    await redis.set(tagKey(prefix, 'team:13'), 'not a set', 'PX', 60_000);
    const instrumentation = createInstrumentation();
    const failed: string[] = [];
    instrumentation.on('event.failed', ({ error }) => failed.push(error.message));
    const observed = createInvalidationEngine({ keyspace, redis: port, prefix, instrumentation });
    await redis.set(`${prefix}user:2`, 'v|0||1|2||j1', 'PX', 60_000);
    // Act
    const outcomes = await observed.apply([
      userEvent({ before: { id: 1, team_id: 13 }, after: null, op: 'delete', version: V100 }),
      userEvent({ before: { id: 2 }, after: null, op: 'delete', version: V100 }),
    ]);
    // Assess
    expect(outcomes[0]).toMatchObject({
      status: 'failed',
      error: { code: 'CDC_REDIS_SCRIPT_FAILED', retriable: false },
    });
    expect(outcomes[1]).toMatchObject({ status: 'applied' });
    expect(await redis.exists(`${prefix}user:2`)).toBe(0);
    expect(failed).toHaveLength(1);
  });

  it('reports the coalesced actions by kind, the same counts to both batch listeners', async () => {
    // Prepare: kinds interleaved, and keys repeating across events
    const instrumentation = createInstrumentation();
    const reported: Record<string, number>[] = [];
    instrumentation.on('batch.planned', ({ actions }) => reported.push({ ...actions }));
    instrumentation.on('batch.applied', ({ actions }) => reported.push({ ...actions }));
    const observed = createInvalidationEngine({ keyspace, redis: port, prefix, instrumentation, now });
    const events = [
      userEvent({ before: { id: 1, email: 'a@x', team_id: 1 }, after: { id: 1, email: 'b@x', team_id: 2 } }),
      userEvent({ before: { id: 2, email: 'c@x' }, after: null, op: 'delete', version: '' }),
      userEvent({ before: { id: 1, email: 'b@x' }, after: { id: 1, email: 'd@x' }, version: V200 }),
      userEvent({ op: 'truncate', before: null, after: null, version: V300 }),
    ];
    const expected = Object.fromEntries(CACHE_ACTION_KINDS.map((kind) => [kind, 0]));
    for (const action of coalesceActions(planActions(events, { keyspace, prefix })).actions) {
      expected[action.kind]! += 1;
    }
    // Act
    await observed.apply(events);
    // Assess
    expect(Object.values(expected).filter((count) => count > 0).length).toBeGreaterThan(3);
    expect(reported).toEqual([expected, expected]);
  });

  it('fails fast on a bad option, naming it', () => {
    expect(() => createInvalidationEngine({ keyspace, redis, tombstoneTtlMs: -1 })).toThrow(/tombstoneTtlMs/);
    expect(() => createInvalidationEngine({ keyspace, redis, retry: { retries: 1.5 } })).toThrow(
      /retry\.retries/,
    );
    expect(() => createInvalidationEngine({ keyspace, redis, tagBatchSize: 10_000 })).toThrow(/tagBatchSize/);
  });
});
