import { randomBytes } from 'node:crypto';
import { defineKeyspace } from '../../../src/keyspace';

/** The shared Redis of the test stack: every test uses its own prefix there. */
export const SHARED_REDIS_URL = process.env['CDC_CACHE_TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/** A prefix no other test (or engineer) uses. */
export function uniquePrefix(label: string): string {
  return `test:sdk:${label}:${randomBytes(4).toString('hex')}:`;
}

/** Poll until `condition` holds, or fail naming what was awaited. */
export async function pollUntil(
  condition: () => Promise<boolean> | boolean,
  { timeoutMs = 10_000, intervalMs = 25, description = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs}ms waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A promise whose resolution the test controls: to pause a loader at an exact point. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

/** A user row, as a database would return it. */
export function userRecord(
  overrides: Partial<{ id: number; name: string; tenantId: number; updatedAt: Date; balance: bigint }> = {},
) {
  return {
    id: 1,
    name: 'Ada',
    tenantId: 7,
    updatedAt: new Date('2026-01-02T03:04:05.000Z'),
    balance: 12345678901234567890n,
    ...overrides,
  };
}

/** The keyspace the SDK integration tests share. */
export function testKeyspace(overrides: { grace?: string; ttl?: string } = {}) {
  return defineKeyspace({
    user: {
      key: 'user:{id}',
      ttl: overrides.ttl ?? '5m',
      ttlJitter: 0,
      ...(overrides.grace ? { grace: overrides.grace } : {}),
      negativeTtl: '10s',
      tags: ['tenant:{tenantId}'],
      sources: [{ table: 'public.users' }],
    },
    product: {
      key: 'product:{sku}',
      ttl: '30m',
      mode: 'refresh',
      sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }],
    },
  });
}
