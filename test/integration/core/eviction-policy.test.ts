import { Redis } from 'ioredis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { defineKeyspace } from '../../../src/keyspace';
import {
  createInstrumentation,
  type InstrumentationEvents,
} from '../../../src/observability/instrumentation';
import { checkEvictionPolicy } from '../../../src/redis/check-eviction-policy';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { userEvent } from './core-test-support';

// Issue 14, defect 5: the eviction policy the protocol needs is checked at start, loudly, never fatally.

describe('the eviction policy check', () => {
  let server: RedisProcess;
  let admin: Redis;
  beforeAll(async () => {
    server = await startRedisProcess();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    admin.disconnect();
    await server.stop();
  });

  it("is quiet for 'noeviction' and warns for a policy that may evict cdc-cache's own keys", async () => {
    // Prepare
    await admin.config('SET', 'maxmemory-policy', 'noeviction');
    const safe = await checkEvictionPolicy(admin);
    await admin.config('SET', 'maxmemory-policy', 'allkeys-lru');

    // Act
    const unsafe = await checkEvictionPolicy(admin);

    // Assess
    expect(safe).toMatchObject({ policies: ['noeviction'], safe: true });
    expect(unsafe).toMatchObject({ policies: ['allkeys-lru'], safe: false });
    expect(unsafe.message).toMatch(/'allkeys-lru'.*version memories and truncation keys.*'noeviction'/);
  });

  it('says it cannot tell where CONFIG is forbidden, and the engine still applies its batch', async () => {
    // Prepare: a user without CONFIG, as on ElastiCache
    await admin.acl('SETUSER', 'worker', 'on', '>secret', '~*', '+@all', '-config');
    const worker = new Redis({ port: server.port, username: 'worker', password: 'secret' });
    const instrumentation = createInstrumentation();
    const seen: InstrumentationEvents['redis.eviction-policy'][] = [];
    instrumentation.on('redis.eviction-policy', (check) => seen.push(check));
    const keyspace = defineKeyspace({
      user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
    });
    const engine = createInvalidationEngine({ keyspace, redis: worker, instrumentation });

    // Act
    const outcomes = await engine.apply([userEvent()]);

    // Assess
    expect(outcomes).toEqual([{ status: 'applied', actions: 1 }]);
    expect(seen).toEqual([expect.objectContaining({ safe: false, policies: [] })]);
    expect(seen[0]!.message).toMatch(/cannot read maxmemory-policy.*'noeviction'/);
    await engine.close();
    worker.disconnect();
  });
});
