import { defineKeyspace } from '../../../src/keyspace';
import {
  type CacheOptions,
  DEFAULT_CACHE_OPTIONS,
  resolveCacheOptions,
} from '../../../src/sdk/cache-options';

const keyspace = defineKeyspace(
  { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] } },
  { prefix: 'ks:' },
);
const options = (overrides: Record<string, unknown> = {}) =>
  ({ redis: 'redis://127.0.0.1:6379', keyspace, ...overrides }) as CacheOptions;

describe('resolveCacheOptions', () => {
  it('applies the defaults', () => {
    // Act
    const resolved = resolveCacheOptions(options());
    // Assess
    expect(resolved).toMatchObject({
      prefix: 'ks:',
      leaseTtlMs: 10_000,
      leaseWaitMs: 3_000,
      loaderSoftTimeoutMs: 0,
      loaderHardTimeoutMs: 0,
      commandTimeoutMs: 250,
      breaker: { failureThreshold: DEFAULT_CACHE_OPTIONS.breaker.failureThreshold, resetTimeoutMs: 1000 },
    });
  });

  it('takes durations as strings or milliseconds, a prefix override, and breaker: false', () => {
    // Act
    const resolved = resolveCacheOptions(
      options({ prefix: 'tenant-9:', commandTimeout: 40, leaseWait: '1.5s', breaker: false }),
    );
    // Assess
    expect(resolved).toMatchObject({
      prefix: 'tenant-9:',
      commandTimeoutMs: 40,
      leaseWaitMs: 1500,
      breaker: false,
    });
  });

  it.each([
    ['redis', { redis: undefined }, "option 'redis' is required"],
    ['keyspace', { keyspace: { user: {} } }, "option 'keyspace' is required"],
    ['prefix', { prefix: '{hot}:' }, "option 'prefix' must be a string without braces"],
    ['serializer', { serializer: { serialize: JSON.stringify } }, "option 'serializer' must have"],
    ['leaseTtl', { leaseTtl: 0 }, "option 'leaseTtl' must be longer than zero"],
    ['leaseWait', { leaseWait: 'a while' }, "option 'leaseWait' is invalid"],
    ['commandTimeout', { commandTimeout: -5 }, "option 'commandTimeout' is invalid"],
    [
      'breaker.failureThreshold',
      { breaker: { failureThreshold: 0 } },
      "option 'breaker.failureThreshold' must be an integer",
    ],
    [
      'breaker.resetTimeout',
      { breaker: { resetTimeout: '0s' } },
      "option 'breaker.resetTimeout' must be longer than zero",
    ],
    ['an unknown option', { ttl: '5m' }, "option 'ttl' is unknown"],
  ])('fails fast naming %s', (_name, overrides, message) => {
    // Act
    const resolve = () => resolveCacheOptions(options(overrides));
    // Assess
    expect(resolve).toThrow(
      expect.objectContaining({ code: 'CDC_INVALID_OPTION', message: expect.stringContaining(message) }),
    );
  });
});
