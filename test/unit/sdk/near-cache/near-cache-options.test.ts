import { resolveNearCacheOptions } from '../../../../src/sdk/near-cache/near-cache-options';

describe('resolveNearCacheOptions', () => {
  it('is off when absent and fills defaults when given', () => {
    expect(resolveNearCacheOptions(undefined)).toBe(false);
    expect(resolveNearCacheOptions({ maxEntries: 10 })).toEqual({
      maxEntries: 10,
      maxBytes: Number.POSITIVE_INFINITY,
      ttlMs: 10_000,
      entities: 'all',
      heartbeatMs: 1_000,
    });
  });

  it.each([
    [{ maxEntries: 0 }, 'nearCache.maxEntries'],
    [{ maxEntries: 10, ttl: 0 }, 'nearCache.ttl'],
    [{ maxEntries: 10, maxBytes: -1 }, 'nearCache.maxBytes'],
    [{ maxEntries: 10, entities: 'some' }, 'nearCache.entities'],
    [{ maxEntries: 10, size: 3 }, 'nearCache.size'],
  ])('names the bad field of %j', (given, option) => {
    expect(() => resolveNearCacheOptions(given)).toThrow(
      expect.objectContaining({ code: 'CDC_INVALID_OPTION', details: { option } }),
    );
  });
});
