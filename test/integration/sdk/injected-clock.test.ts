import Redis from 'ioredis';
import type { CacheEventMap } from '../../../src/index';
import { createCache } from '../../../src/sdk/create-cache';
import { createManualClock } from '../../support/manual-clock';
import {
  deferred,
  pollUntil,
  SHARED_REDIS_URL,
  testKeyspace,
  uniquePrefix,
  userRecord,
} from './sdk-test-kit';

const redis = new Redis(SHARED_REDIS_URL);
afterAll(() => redis.quit());

describe('createCache on an injected clock', () => {
  it('reads staleness, grace and the entry times from the clock it is given, so a test need not sleep', async () => {
    // Prepare
    const clock = createManualClock(Date.now());
    const cache = createCache(
      { redis, keyspace: testKeyspace({ ttl: '1m', grace: '1h' }), prefix: uniquePrefix('clock') },
      { clock },
    );
    const stale: CacheEventMap['stale'][] = [];
    cache.events.on('stale', (event) => stale.push(event));
    const filledAt = clock.now();
    await cache.get('user', { id: 1 }, () => userRecord({ id: 1, name: 'v1' }));
    const hitBeforeTtl = await cache.get('user', { id: 1 }, () => userRecord({ id: 1, name: 'never' }));
    const gate = deferred();
    // Act
    await clock.advance(61_000);
    const served = await cache.get('user', { id: 1 }, async () => {
      await gate.promise;
      return userRecord({ id: 1, name: 'v2' });
    });
    gate.resolve();
    await pollUntil(
      async () => (await cache.peek<'user', { name: string }>('user', { id: 1 }))?.name === 'v2',
      {
        description: 'the background refresh',
      },
    );
    // Assess
    expect(hitBeforeTtl?.name).toBe('v1');
    expect(served?.name).toBe('v1');
    expect(stale).toEqual([{ entity: 'user', key: cache.keyOf('user', { id: 1 }), ageMs: 1000 }]);
    // The refreshed entry was written at the clock's time, fresh for one TTL from then.
    const refreshedAt = filledAt + 61_000;
    expect(await redis.get(cache.keyOf('user', { id: 1 }))).toContain(
      `|${refreshedAt}|${refreshedAt + 60_000}|`,
    );
    await cache.close();
  });
});
