import { CdcCacheError } from '../errors';
import type { PostgresSnapshotPosition } from '../keyspace';

/** The part of a node-postgres `Client` or `PoolClient` (or any compatible client) this module uses. */
export interface PostgresQueryClient {
  query(text: string): Promise<{ readonly rows: readonly Record<string, unknown>[] }>;
}

/** The statement {@link readPostgresPosition} runs: the snapshot of the statement itself. */
export const POSTGRES_POSITION_SQL = 'SELECT pg_current_snapshot()::text AS snapshot';

/**
 * Read the position a loader reports to `ctx.readPosition` from PostgreSQL (a hot standby or the primary):
 * the current snapshot, `{ snapshot: 'xmin:xmax:xip' }`. Call it BEFORE the query that reads the row, on the
 * same server (the same client is simplest): in READ COMMITTED every later statement takes a snapshot that
 * holds at least as much, so a fill is never taken for fresher than it is. (In REPEATABLE READ, call it first
 * in the transaction: the transaction's one snapshot is then exactly the one reported.)
 *
 * @example
 * const client = await standby.connect()
 * try {
 *   ctx.readPosition(await readPostgresPosition(client))
 *   const { rows } = await client.query('SELECT * FROM users WHERE id = $1', [ctx.params.id])
 *   return rows[0] ?? null
 * } finally {
 *   client.release()
 * }
 */
export async function readPostgresPosition(client: PostgresQueryClient): Promise<PostgresSnapshotPosition> {
  const { rows } = await client.query(POSTGRES_POSITION_SQL);
  const snapshot = rows[0]?.['snapshot'];
  if (typeof snapshot !== 'string') {
    throw new CdcCacheError('CDC_INVALID_OPTION', `${POSTGRES_POSITION_SQL} returned no snapshot text`);
  }
  return { snapshot };
}
