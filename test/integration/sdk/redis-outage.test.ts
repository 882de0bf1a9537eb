import Redis from 'ioredis';
import { type BypassReason, createCache } from '../../../src/index';
import { REDIS_CLIENTS } from '../../support/redis-clients';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { pollUntil, testKeyspace, uniquePrefix, userRecord } from './sdk-test-kit';

describe('a Redis outage', () => {
  let redisProcess: RedisProcess;
  beforeAll(async () => {
    redisProcess = await startRedisProcess();
  });
  afterAll(() => redisProcess.stop());

  /** Reads through an outage: fail-open within the timeout, breaker, caching again once Redis is back. */
  async function readsThroughAnOutage(redis: string | object): Promise<void> {
    // Prepare
    const commandTimeoutMs = 100;
    const cache = createCache({
      redis,
      keyspace: testKeyspace(),
      prefix: uniquePrefix('outage'),
      commandTimeout: commandTimeoutMs,
      breaker: { failureThreshold: 3, resetTimeout: 300 },
    });
    const bypasses: BypassReason[] = [];
    const breakerStates: string[] = [];
    cache.events.on('bypass', ({ reason }) => bypasses.push(reason));
    cache.events.on('breaker', ({ state }) => breakerStates.push(state));
    let calls = 0;
    const loader = async () => {
      calls += 1;
      return userRecord({ id: 1 });
    };
    await cache.get('user', { id: 1 }, loader);
    await cache.get('user', { id: 1 }, loader);
    expect(calls).toBe(1);

    // Act: Redis goes away
    await redisProcess.stop();
    const durations: number[] = [];
    for (let read = 0; read < 10; read++) {
      const started = Date.now();
      const value = await cache.get('user', { id: 1 }, loader);
      durations.push(Date.now() - started);
      expect(value).toEqual(userRecord({ id: 1 }));
    }

    // Assess: every read answered, none waited much longer than one command timeout, and once the breaker
    // opened, reads did not touch Redis at all
    expect(calls).toBe(11);
    // A timeout fires up to 25 ms late (one sweeping timer); the rest is slack for a loaded CI machine.
    expect(Math.max(...durations)).toBeLessThan(commandTimeoutMs * 4);
    expect(bypasses.slice(0, 3)).toEqual(['redis-error', 'redis-error', 'redis-error']);
    expect(bypasses.slice(3)).toEqual(Array(7).fill('breaker-open'));
    expect(Math.max(...durations.slice(3))).toBeLessThan(50);
    expect(breakerStates[0]).toBe('open');

    // Act: Redis comes back (empty); the breaker half-opens by itself and caching resumes
    await redisProcess.start();
    await pollUntil(
      async () => {
        await cache.get('user', { id: 1 }, loader);
        return (await cache.peek('user', { id: 1 }).catch(() => undefined)) !== undefined;
      },
      { timeoutMs: 15_000, intervalMs: 100, description: 'caching to resume after Redis restarted' },
    );
    const callsOnceBack = calls;
    const cached = await cache.get('user', { id: 1 }, loader);

    // Assess
    expect(cached).toEqual(userRecord({ id: 1 }));
    expect(calls).toBe(callsOnceBack);
    expect(breakerStates.at(-1)).toBe('closed');
    await cache.close();
  }

  it('keeps reads succeeding from the loader within the timeout, skips Redis once the breaker opens, and caches again once Redis is back', async () => {
    await readsThroughAnOutage(redisProcess.url);
  });

  it.each(REDIS_CLIENTS)('does the same through a $name client it was given', async (factory) => {
    await redisProcess.start();
    const opened = await factory.open({
      nodes: [{ host: '127.0.0.1', port: redisProcess.port }],
      cluster: false,
      resp: factory.resp3 ? 3 : 2,
    });
    try {
      await readsThroughAnOutage(opened.client as object);
    } finally {
      void opened.close().catch(() => undefined);
    }
  });

  it('serves from the loader when Redis is slow (past the per-command timeout)', async () => {
    // Prepare
    const admin = new Redis(redisProcess.url);
    const cache = createCache({
      redis: redisProcess.url,
      keyspace: testKeyspace(),
      prefix: uniquePrefix('slow'),
      commandTimeout: 50,
    });
    await cache.get('user', { id: 2 }, () => userRecord({ id: 2, name: 'cached' }));
    // Act
    await admin.call('CLIENT', 'PAUSE', '1000', 'ALL');
    const started = Date.now();
    const value = await cache.get('user', { id: 2 }, () => userRecord({ id: 2, name: 'loaded' }));
    const elapsed = Date.now() - started;
    // Assess
    expect(value?.name).toBe('loaded');
    expect(elapsed).toBeLessThan(500);
    await admin.call('CLIENT', 'UNPAUSE');
    await cache.close();
    await admin.quit();
  });
});
