import Redis from 'ioredis';
import { type CacheEventMap, createCache } from '../../../src/index';
import { generationKey, tagKey } from '../../../src/keyspace';
import { REDIS_CLIENTS, type RedisClientFactory } from '../../support/redis-clients';
import { stackEndpoints } from '../../support/stack-endpoints';
import {
  deferred,
  pollUntil,
  SHARED_REDIS_URL,
  testKeyspace,
  uniquePrefix,
  userRecord,
} from './sdk-test-kit';

// The cache reads through each client library the Redis port adapts; `redis` (ioredis) prepares and inspects.
const redis = new Redis(SHARED_REDIS_URL);
afterAll(() => redis.quit());
let sdkClient: object;

function newCache(
  label: string,
  overrides: { grace?: string; ttl?: string } = {},
  options: Record<string, unknown> = {},
) {
  const prefix = uniquePrefix(label);
  const cache = createCache({ redis: sdkClient, keyspace: testKeyspace(overrides), prefix, ...options });
  const seen: { [Name in keyof CacheEventMap]?: CacheEventMap[Name][] } = {};
  for (const name of ['hit', 'miss', 'stale', 'lease-wait', 'load', 'bypass', 'error'] as const) {
    cache.events.on(name, (payload) => {
      const list = (seen[name] ?? []) as unknown[];
      list.push(payload);
      seen[name] = list as never;
    });
  }
  return { cache, prefix, seen };
}

describe.each(REDIS_CLIENTS)('createCache against Redis through $name', (factory) => {
  let opened: Awaited<ReturnType<RedisClientFactory['open']>>;
  beforeAll(async () => {
    const { host, port } = stackEndpoints().redis;
    opened = await factory.open({ nodes: [{ host, port }], cluster: false, resp: factory.resp3 ? 3 : 2 });
    sdkClient = opened.client as object;
  });
  afterAll(async () => opened.close());

  it('loads once, caches, and serves hits with Date and BigInt intact', async () => {
    // Prepare
    const { cache, seen } = newCache('hit');
    const row = userRecord();
    let calls = 0;
    const loader = async () => {
      calls += 1;
      return row;
    };
    // Act
    const first = await cache.get('user', { id: 1 }, loader);
    const second = await cache.get('user', { id: 1 }, loader);
    // Assess
    expect(calls).toBe(1);
    expect(second).toEqual(row);
    expect(second?.updatedAt).toBeInstanceOf(Date);
    expect(typeof second?.balance).toBe('bigint');
    expect(first).toEqual(row);
    expect(seen.miss).toHaveLength(1);
    expect(seen.hit).toHaveLength(1);
    expect(seen.load).toEqual([
      expect.objectContaining({ entity: 'user', found: true, cached: true, failed: false }),
    ]);
  });

  it('runs the loader once for concurrent misses in one process', async () => {
    // Prepare
    const { cache } = newCache('single-flight');
    const gate = deferred();
    let calls = 0;
    const loader = async () => {
      calls += 1;
      await gate.promise;
      return userRecord({ id: 2 });
    };
    // Act
    const reads = Array.from({ length: 50 }, () => cache.get('user', { id: 2 }, loader));
    await pollUntil(() => calls > 0, { description: 'the loader to start' });
    gate.resolve();
    const values = await Promise.all(reads);
    // Assess
    expect(calls).toBe(1);
    expect(new Set(values.map((value) => value?.id))).toEqual(new Set([2]));
  });

  it('caches a not-found with the negative TTL, and a worker delete (the insert) drops it', async () => {
    // Prepare
    const { cache } = newCache('negative');
    let row: ReturnType<typeof userRecord> | null = null;
    let calls = 0;
    const loader = async () => {
      calls += 1;
      return row;
    };
    // Act
    const missing = await cache.get('user', { id: 3 }, loader);
    const stillMissing = await cache.get('user', { id: 3 }, loader);
    const ttl = await redis.pttl(cache.keyOf('user', { id: 3 }));
    row = userRecord({ id: 3 });
    await redis.unlink(cache.keyOf('user', { id: 3 })); // what the worker does on the row's insert
    const inserted = await cache.get('user', { id: 3 }, loader);
    // Assess
    expect(missing).toBeNull();
    expect(stillMissing).toBeNull();
    expect(calls).toBe(2);
    expect(ttl).toBeGreaterThan(9_000);
    expect(ttl).toBeLessThanOrEqual(10_000);
    expect(inserted).toEqual(row);
  });

  it('reads a value of another generation as a miss (a truncate replaces the generation)', async () => {
    // Prepare
    const { cache, prefix } = newCache('generation');
    await cache.get('user', { id: 4 }, () => userRecord({ id: 4, name: 'old' }));
    // Act
    await redis.incr(generationKey(prefix, 'user'));
    const after = await cache.get('user', { id: 4 }, () => userRecord({ id: 4, name: 'new' }));
    const cachedAgain = await cache.peek('user', { id: 4 });
    // Assess
    expect(after?.name).toBe('new');
    expect(cachedAgain).toEqual(expect.objectContaining({ name: 'new' }));
    const generation = await redis.get(generationKey(prefix, 'user'));
    expect(await redis.get(cache.keyOf('user', { id: 4 }))).toMatch(new RegExp(`^v\\|${generation}\\|`));
  });

  it('lists the entry under its tags BEFORE the loader runs, so deleteByTag cancels the fill', async () => {
    // Prepare
    const { cache, prefix } = newCache('tags');
    const gate = deferred();
    const loading = cache.get(
      'user',
      { id: 5 },
      async () => {
        await gate.promise;
        return userRecord({ id: 5 });
      },
      { tagParams: { tenantId: 7 } },
    );
    await pollUntil(
      async () => (await redis.sismember(tagKey(prefix, 'tenant:7'), cache.keyOf('user', { id: 5 }))) === 1,
      {
        description: 'the tag membership',
      },
    );
    // Act
    const deleted = await cache.deleteByTag('tenant:{tenantId}', { tenantId: 7 });
    gate.resolve();
    const value = await loading;
    // Assess
    expect(deleted).toBe(1);
    expect(value).toEqual(userRecord({ id: 5 }));
    expect(await cache.peek('user', { id: 5 })).toBeUndefined();
    expect(await redis.pttl(tagKey(prefix, 'tenant:7'))).toBe(-2);
  });

  it('gives tag sets a TTL at least as long as their entries', async () => {
    // Prepare
    const { cache, prefix } = newCache('tag-ttl');
    // Act
    await cache.get('user', { id: 6 }, () => userRecord({ id: 6 }), { tagParams: { tenantId: 8 } });
    // Assess
    expect(await redis.pttl(tagKey(prefix, 'tenant:8'))).toBeGreaterThanOrEqual(
      await redis.pttl(cache.keyOf('user', { id: 6 })),
    );
  });

  it('serves a stale value within grace at once and refreshes it in the background, once', async () => {
    // Prepare
    const { cache, seen } = newCache('grace', { ttl: '200ms', grace: '1m' });
    await cache.get('user', { id: 7 }, () => userRecord({ id: 7, name: 'v1' }));
    await new Promise((resolve) => setTimeout(resolve, 250));
    const gate = deferred();
    let refreshes = 0;
    const refresh = async () => {
      refreshes += 1;
      await gate.promise;
      return userRecord({ id: 7, name: 'v2' });
    };
    // Act
    const stale = await cache.get('user', { id: 7 }, refresh);
    const staleAgain = await cache.get('user', { id: 7 }, refresh);
    gate.resolve();
    await pollUntil(
      async () => (await cache.peek<'user', { name: string }>('user', { id: 7 }))?.name === 'v2',
      {
        description: 'the background refresh',
      },
    );
    // Assess
    expect(stale?.name).toBe('v1');
    expect(staleAgain?.name).toBe('v1');
    expect(refreshes).toBe(1);
    expect(seen.stale?.length).toBeGreaterThanOrEqual(2);
  });

  it('rejects with CDC_LOADER_TIMEOUT past the hard timeout, and the late load still fills', async () => {
    // Prepare
    const { cache } = newCache('hard-timeout', {}, { loaderHardTimeout: 50 });
    // Act
    const attempt = cache.get('user', { id: 8 }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      return userRecord({ id: 8 });
    });
    // Assess
    await expect(attempt).rejects.toMatchObject({ code: 'CDC_LOADER_TIMEOUT' });
    await pollUntil(async () => (await cache.peek('user', { id: 8 })) !== undefined, {
      description: 'the late fill',
    });
  });

  it('releases the lease when the loader fails, so the next reader loads at once', async () => {
    // Prepare
    const { cache, seen } = newCache('loader-error');
    const failure = new Error('database down');
    // Act
    const failed = cache.get('user', { id: 9 }, () => Promise.reject(failure));
    await expect(failed).rejects.toBe(failure);
    await pollUntil(async () => (await redis.exists(cache.keyOf('user', { id: 9 }))) === 0, {
      description: 'the lease release',
    });
    const started = Date.now();
    const value = await cache.get('user', { id: 9 }, () => userRecord({ id: 9 }));
    // Assess
    expect(value?.id).toBe(9);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(seen.load?.[0]).toEqual(expect.objectContaining({ failed: true, cached: false }));
  });

  it('overwrites a value that is not a cdc-cache entry', async () => {
    // Prepare
    const { cache } = newCache('foreign');
    await redis.set(cache.keyOf('user', { id: 10 }), '{"written":"by hand"}', 'PX', 60_000);
    // Act
    const value = await cache.get('user', { id: 10 }, () => userRecord({ id: 10 }));
    // Assess
    expect(value?.id).toBe(10);
    expect(await redis.get(cache.keyOf('user', { id: 10 }))).toMatch(/^v\|\d+\|\|/);
  });

  it('gets many in one call: hits from Redis, the misses from one batch load', async () => {
    // Prepare
    const { cache } = newCache('many');
    await cache.set('user', { id: 11 }, userRecord({ id: 11 }));
    const batches: number[][] = [];
    // Act
    const values = await cache.getMany('user', [{ id: 11 }, { id: 12 }, { id: 13 }], async (paramsList) => {
      batches.push(paramsList.map((params) => Number(params.id)));
      return paramsList.map((params) => (params.id === 13 ? null : userRecord({ id: Number(params.id) })));
    });
    const again = await cache.getMany('user', [{ id: 12 }, { id: 13 }], (): { id: number }[] => {
      throw new Error('must not load');
    });
    // Assess
    expect(batches).toEqual([[12, 13]]);
    expect(values.map((value) => value?.id ?? null)).toEqual([11, 12, null]);
    expect(again.map((value) => value?.id ?? null)).toEqual([12, null]);
  });

  it('sets, peeks and deletes', async () => {
    // Prepare
    const { cache } = newCache('set');
    // Act
    await cache.set('user', { id: 14 }, userRecord({ id: 14 }));
    const peeked = await cache.peek('user', { id: 14 });
    const deleted = await cache.delete('user', { id: 14 });
    const afterDelete = await cache.peek('user', { id: 14 });
    // Assess
    expect(peeked).toEqual(userRecord({ id: 14 }));
    expect(deleted).toBe(true);
    expect(afterDelete).toBeUndefined();
  });

  it('keeps hostile key values apart in Redis', async () => {
    // Prepare
    const { cache } = newCache('hostile');
    const ids = [
      'a:b',
      'a%3Ab',
      'a/b',
      '{a}',
      'a b',
      'é',
      'e\u0301',
      '🙂',
      '\uD800',
      '\uD801',
      '_cc',
      '%5Fcc',
      '0',
      0.5,
    ];
    // Act
    for (const id of ids) await cache.get('user', { id }, () => ({ id }));
    const read = await Promise.all(ids.map((id) => cache.get('user', { id }, () => ({ id: 'reloaded' }))));
    // Assess
    expect(read.map((value) => value?.id)).toEqual(ids);
  });

  it('rejects unknown entities and missing key params by name', async () => {
    // Prepare
    const { cache } = newCache('bad-params');
    // Act
    const unknownEntity = cache.get('nope' as 'user', { id: 1 }, () => null);
    const missing = cache.get('user', { id: '' }, () => null);
    const badTtl = cache.get('user', { id: 1 }, () => null, { ttl: 'forever' });
    // Assess
    await expect(badTtl).rejects.toMatchObject({
      code: 'CDC_INVALID_OPTION',
      message: expect.stringContaining("'ttl'"),
    });
    await expect(unknownEntity).rejects.toThrow(/Unknown entity 'nope'/);
    await expect(missing).rejects.toMatchObject({
      code: 'CDC_INVALID_KEY_PARAMS',
      message: expect.stringContaining('for: id'),
    });
  });

  it('getMany loads its leased keys at once and waits for a key another reader is filling', async () => {
    // Prepare
    const { cache, prefix } = newCache('many-wait', {}, { leaseWait: '5s' });
    const busyKey = cache.keyOf('user', { id: 21 });
    await redis.set(generationKey(prefix, 'user'), '5');
    await redis.set(busyKey, 'l|5||another-reader', 'PX', 10_000);
    const batches: number[][] = [];
    // Act
    const reading = cache.getMany('user', [{ id: 20 }, { id: 21 }], async (paramsList) => {
      batches.push(paramsList.map((params) => Number(params.id)));
      return paramsList.map((params) => userRecord({ id: Number(params.id), name: 'batch' }));
    });
    await pollUntil(() => batches.length === 1, { description: 'the batch load' });
    await redis.set(
      busyKey,
      `v|5||${Date.now()}|${Date.now() + 60_000}||j${JSON.stringify({ id: 21, name: 'other' })}`,
      'PX',
      60_000,
    );
    const values = await reading;
    // Assess
    expect(values.map((value) => value?.name)).toEqual(['batch', 'other']);
    expect(await cache.peek('user', { id: 20 })).toEqual(expect.objectContaining({ name: 'batch' }));
  });

  it('replaces a key of another type without an error and without opening the breaker', async () => {
    // Prepare
    const { cache, seen } = newCache('wrong-type');
    await redis.hset(cache.keyOf('user', { id: 22 }), 'field', 'value');
    // Act
    const value = await cache.get('user', { id: 22 }, () => userRecord({ id: 22 }));
    const again = await cache.get('user', { id: 22 }, () => userRecord({ id: 22, name: 'reloaded' }));
    // Assess
    expect(value?.id).toBe(22);
    expect(again?.name).toBe('Ada');
    expect(seen.error).toBeUndefined();
  });

  it('deletes every entry of a large tag, in batches', async () => {
    // Prepare: a generous command timeout, since a CI machine under load can stall one batch past the
    // default 250 ms, and timeouts are not what this test is about.
    const { cache, prefix } = newCache('large-tag', {}, { commandTimeout: '10s' });
    const ids = Array.from({ length: 1200 }, (_, index) => 1000 + index);
    await Promise.all(ids.map((id) => cache.set('user', { id }, userRecord({ id, tenantId: 99 }))));
    // Act
    const deleted = await cache.deleteByTag('tenant:99');
    const remaining = await Promise.all(ids.map((id) => redis.exists(cache.keyOf('user', { id }))));
    // Assess
    expect(deleted).toBe(ids.length);
    expect(remaining.reduce((sum, count) => sum + count, 0)).toBe(0);
    expect(await redis.exists(tagKey(prefix, 'tenant:99'))).toBe(0);
  });

  it('with a soft timeout, serves the refreshed value when the loader is quick and the stale one when it is slow', async () => {
    // Prepare
    const { cache } = newCache('soft-timeout', { ttl: '100ms', grace: '1m' }, { loaderSoftTimeout: 150 });
    await cache.get('user', { id: 30 }, () => userRecord({ id: 30, name: 'v1' }));
    await cache.get('user', { id: 31 }, () => userRecord({ id: 31, name: 'v1' }));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const loadAfter = (ms: number, name: string, id: number) => async () => {
      await new Promise((resolve) => setTimeout(resolve, ms));
      return userRecord({ id, name });
    };
    // Act
    const quick = await cache.get('user', { id: 30 }, loadAfter(10, 'v2', 30));
    const started = Date.now();
    const slow = await cache.get('user', { id: 31 }, loadAfter(400, 'v2', 31));
    const slowElapsed = Date.now() - started;
    // Assess
    expect(quick?.name).toBe('v2');
    expect(slow?.name).toBe('v1');
    expect(slowElapsed).toBeLessThan(350);
  });
});
