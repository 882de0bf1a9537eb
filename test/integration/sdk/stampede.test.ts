import { REDIS_CLIENTS } from '../../support/redis-clients';
import { runStampede } from '../../support/sdk-stampede';
import { SHARED_REDIS_URL } from './sdk-test-kit';

describe('a stampede across processes', () => {
  it.each(REDIS_CLIENTS.map((factory) => factory.name))(
    'runs the loader exactly once for 4 processes x 250 concurrent misses of one key (through %s)',
    async (client) => {
      // Act
      const result = await runStampede({
        mode: 'cdc-cache',
        processes: 4,
        concurrency: 250,
        redisUrl: SHARED_REDIS_URL,
        client,
      });
      // Assess
      expect(result.errors).toEqual([]);
      expect(result.loaderCalls).toBe(1);
      expect(result.distinctValues).toBe(1);
    },
  );

  it('runs it once per reader with naive cache-aside (the baseline this protects against)', async () => {
    // Act
    const result = await runStampede({
      mode: 'naive',
      processes: 4,
      concurrency: 250,
      redisUrl: SHARED_REDIS_URL,
    });
    // Assess
    expect(result.errors).toEqual([]);
    expect(result.loaderCalls).toBeGreaterThan(900);
  });
});
