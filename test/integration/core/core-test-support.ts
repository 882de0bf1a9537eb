import { Redis } from 'ioredis';
import type { ChangeEvent } from '../../../src/core/change-event';

let counter = 0;

/** A key prefix no other test (or engineer) uses on the shared Redis. */
export function uniquePrefix(label: string): string {
  counter += 1;
  return `test-core-${label}-${process.pid}-${Date.now().toString(36)}-${counter}:`;
}

/** Delete every key under a test's prefix (SCAN with MATCH on our own prefix; never KEYS or FLUSH). */
export async function deletePrefix(client: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await client.unlink(...keys);
  } while (cursor !== '0');
}

/** A client of the shared Redis on 6379. */
export function sharedRedis(): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: false });
}

/** Record factory: a change of public.users, overridable field by field. */
export function userEvent(overrides: Partial<ChangeEvent<number>> = {}): ChangeEvent<number> {
  return {
    source: 'postgres',
    table: 'public.users',
    op: 'update',
    before: { id: 42, email: 'old@example.com', name: 'Ada' },
    after: { id: 42, email: 'new@example.com', name: 'Ada L.' },
    key: { id: 42 },
    version: '00000000000000000100',
    committedAt: Date.now(),
    position: 0,
    ...overrides,
  };
}

/** Poll `condition` until it holds or `timeoutMs` passes. */
export async function pollUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
