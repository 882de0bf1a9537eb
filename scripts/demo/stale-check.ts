import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Client } from 'pg';
import type { Cache } from '../../src/index';
import { loadProduct, loadUserByEmail, loadUserById, productSku } from './demo-data';

/** What to compare: every user id, every email any user ever had, every product. */
export interface StaleCheckInput {
  readonly cache: Cache;
  readonly pg: Client;
  readonly dynamodb: DynamoDBClient;
  readonly users: number;
  readonly products: number;
  readonly emails: ReadonlySet<string>;
}

/** JSON with sorted keys, so two equal rows compare equal whatever their key order. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b));
  return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonical(field)}`).join(',')}}`;
}

/**
 * Compare every cached entry (`peek`, which never loads) with the database. An entry is stale when it
 * differs from the current row, including a cached value for a row that no longer exists (an old email).
 *
 * @example
 * const { checked, stale } = await findStaleEntries({ cache, pg, dynamodb, users: 200, products: 50, emails })
 */
export async function findStaleEntries(
  input: StaleCheckInput,
): Promise<{ checked: number; stale: string[] }> {
  const { cache, pg, dynamodb } = input;
  const stale: string[] = [];
  let checked = 0;
  const compare = async (key: string, cached: unknown, truth: () => Promise<unknown>) => {
    if (cached === undefined) return;
    checked++;
    if (canonical(cached) !== canonical(await truth())) stale.push(key);
  };
  for (let id = 1; id <= input.users; id++) {
    await compare(cache.keyOf('user', { id }), await cache.peek('user', { id }), () => loadUserById(pg, id));
  }
  for (const email of input.emails) {
    await compare(cache.keyOf('userByEmail', { email }), await cache.peek('userByEmail', { email }), () =>
      loadUserByEmail(pg, email),
    );
  }
  for (let index = 1; index <= input.products; index++) {
    const sku = productSku(index);
    await compare(cache.keyOf('product', { sku }), await cache.peek('product', { sku }), () =>
      loadProduct(dynamodb, sku),
    );
  }
  return { checked, stale };
}
