import { Redis } from 'ioredis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { CdcCacheError } from '../../../src/errors';
import { defineKeyspace } from '../../../src/keyspace';
import { createInstrumentation } from '../../../src/observability/instrumentation';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { pollUntil, userEvent } from './core-test-support';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.users' }] },
});

describe('invalidation engine when Redis goes away', () => {
  let server: RedisProcess;

  beforeAll(async () => {
    server = await startRedisProcess();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('throws a retriable CDC_REDIS_UNAVAILABLE once retries run out, never dropping the batch silently', async () => {
    // Prepare
    const instrumentation = createInstrumentation();
    const retries: number[] = [];
    instrumentation.on('redis.retry', ({ attempt }) => retries.push(attempt));
    const client = new Redis(server.url, { maxRetriesPerRequest: 1 });
    const engine = createInvalidationEngine({
      keyspace,
      redis: client,
      instrumentation,
      retry: { retries: 3, initialDelayMs: 20, maxDelayMs: 50 },
    });
    await engine.apply([userEvent()]);
    await server.stop();
    // Act
    const failure = await engine.apply([userEvent()]).catch((error: unknown) => error);
    // Assess
    expect(failure).toBeInstanceOf(CdcCacheError);
    expect(failure).toMatchObject({ code: 'CDC_REDIS_UNAVAILABLE', retriable: true });
    expect(retries).toEqual([1, 2, 3]);
    await server.start();
    await engine.close();
    await pollUntil(() => client.status === 'ready', 10_000, 'the client to reconnect');
    await client.quit();
  });

  it('retries with backoff while Redis is down and applies the batch once it is back', async () => {
    // Prepare
    const engine = createInvalidationEngine({
      keyspace,
      redis: server.url,
      retry: { retries: 50, initialDelayMs: 50, maxDelayMs: 200 },
    });
    const checker = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: null });
    await engine.apply([userEvent()]);
    await server.stop();
    // Act
    const applying = engine.apply([userEvent({ version: '00000000000000000500' })]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await server.start();
    const outcomes = await applying;
    // Assess
    expect(outcomes).toEqual([{ status: 'applied', actions: 2 }]);
    expect(await checker.get('profile:42')).toMatch(/^v\|\d+\|00000000000000000500\|/);
    checker.disconnect();
    await engine.close();
  });
});
