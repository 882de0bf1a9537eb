// The local stack's endpoints and small helpers, for the benchmarks (which must not depend on the tests'
// support code): the same STACK_*_PORT variables as test/stack/up.sh.
import { randomBytes } from 'node:crypto';

const HOST = '127.0.0.1';
const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

/** Where the stack's services listen. */
export const stack = {
  redisUrl: process.env['CDC_CACHE_REDIS_URL'] ?? `redis://${HOST}:${port('STACK_REDIS_PORT', 6379)}`,
  postgres: { host: HOST, port: port('STACK_PG_PORT', 5432), user: 'postgres', database: 'cdc_cache_test' },
  kafkaBrokers: (process.env['CDC_CACHE_KAFKA_BROKERS'] ?? `${HOST}:${port('STACK_KAFKA_PORT', 9092)}`).split(
    ',',
  ),
  connectUrl: `http://${HOST}:${port('STACK_CONNECT_PORT', 8083)}`,
  dynamodb: {
    endpoint: `http://${HOST}:${port('STACK_DYNAMODB_PORT', 8000)}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'cdccache', secretAccessKey: 'cdccache' },
  },
} as const;

/**
 * A name no other run uses: lower-case letters, digits and `_`, at most 40 characters.
 *
 * @example
 * const table = uniqueName('bench_pg') // 'bench_pg_m3x9k2_4f1a9c'
 */
export function uniqueName(stem: string): string {
  return `${stem.slice(0, 24)}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

/**
 * Poll `check` every `intervalMs` until it returns a truthy value; throw naming `description` after `timeoutMs`.
 *
 * @example
 * await waitFor(async () => (await redis.exists(key)) === 0, { description: 'key gone', timeoutMs: 5000 })
 */
export async function waitFor<T>(
  check: () => Promise<T | undefined | null | false>,
  options: { readonly description: string; readonly timeoutMs?: number; readonly intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline)
      throw new Error(`timed out waiting for ${options.description}`, { cause: lastError });
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}
