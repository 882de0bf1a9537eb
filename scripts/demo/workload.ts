import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Redis } from 'ioredis';
import type { Client } from 'pg';
import { productSku, updateProduct, updateUser } from './demo-data';

/** What the workload needs: the databases, Redis, the read service, and how to name keys. */
export interface WorkloadDeps {
  readonly pg: Client;
  readonly dynamodb: DynamoDBClient;
  readonly redis: Redis;
  readonly readServiceUrl: string;
  readonly users: number;
  readonly products: number;
  readonly keyOf: (entity: 'user' | 'product', id: number | string) => string;
}

/** Live counters of the workload. */
export interface WorkloadStats {
  reads: number;
  readErrors: number;
  writes: number;
  /** Writes whose cached entry was seen invalidated or refreshed, with the time from commit to that. */
  latenciesMs: number[];
  /** Writes whose cached entry still held the old value after the probe bound. */
  missedInvalidations: number;
  /** Every email a user ever had, to check the old `user-by-email` keys at the end. */
  emails: Set<string>;
}

const VIRTUAL_USERS = 6;
const THINK_TIME_MS = 15;
const WRITE_SHARE = 0.15;
const PROBE_BOUND_MS = 20_000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const pick = (count: number) => 1 + Math.floor(Math.random() * count);

/**
 * Run reads and writes from a few virtual users until `signal` aborts. Each write first makes sure the
 * entry is cached, commits, then probes Redis until the entry no longer holds the value from before
 * the write: that is the end-to-end invalidation latency. Resolves once every probe has finished.
 */
export async function runWorkload(
  deps: WorkloadDeps,
  stats: WorkloadStats,
  signal: AbortSignal,
): Promise<void> {
  const probes: Promise<void>[] = [];
  const read = async (path: string) => {
    try {
      const response = await fetch(`${deps.readServiceUrl}${path}`, { signal: AbortSignal.timeout(10_000) });
      await response.arrayBuffer();
      if (response.status >= 500) stats.readErrors++;
    } catch {
      stats.readErrors++;
    }
    stats.reads++;
  };
  const probe = (key: string, before: string | null, committedAt: number) =>
    probes.push(
      (async () => {
        while (performance.now() - committedAt < PROBE_BOUND_MS) {
          if ((await deps.redis.get(key)) !== before) {
            stats.latenciesMs.push(performance.now() - committedAt);
            return;
          }
          await sleep(2);
        }
        stats.missedInvalidations++;
      })(),
    );

  const writeUser = async () => {
    const id = pick(deps.users);
    await read(`/users/${id}`);
    const key = deps.keyOf('user', id);
    const before = await deps.redis.get(key);
    const newEmail = Math.random() < 0.25 ? `user${id}.r${Date.now()}@example.com` : undefined;
    const change = await updateUser(deps.pg, id, newEmail);
    if (!change) return;
    probe(key, before, performance.now());
    stats.emails.add(change.after.email);
    stats.writes++;
  };
  const writeProduct = async () => {
    const sku = productSku(pick(deps.products));
    await read(`/products/${sku}`);
    const key = deps.keyOf('product', sku);
    const before = await deps.redis.get(key);
    await updateProduct(deps.dynamodb, sku);
    probe(key, before, performance.now());
    stats.writes++;
  };
  const readSomething = async () => {
    const roll = Math.random();
    if (roll < 0.45) return read(`/users/${pick(deps.users)}`);
    if (roll < 0.7) {
      const emails = [...stats.emails];
      return read(
        `/users/by-email/${encodeURIComponent(emails[Math.floor(Math.random() * emails.length)]!)}`,
      );
    }
    return read(`/products/${productSku(pick(deps.products))}`);
  };

  const virtualUser = async () => {
    while (!signal.aborted) {
      const roll = Math.random();
      if (roll < WRITE_SHARE / 2) await writeUser();
      else if (roll < WRITE_SHARE) await writeProduct();
      else await readSomething();
      await sleep(THINK_TIME_MS);
    }
  };
  await Promise.all(Array.from({ length: VIRTUAL_USERS }, virtualUser));
  await Promise.all(probes);
}
