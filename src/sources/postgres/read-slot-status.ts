import type { Client } from 'pg';

/** How far a replication slot is behind, from `pg_replication_slots`. */
export interface SlotStatus {
  /** WAL bytes written since the slot's confirmed flush position: changes not yet acknowledged. */
  readonly lagBytes: number;
  /** WAL bytes the slot keeps the server from recycling (since its restart position). */
  readonly retainedBytes: number;
  /** Whether a connection streams from the slot now. */
  readonly active: boolean;
}

/**
 * Read a slot's lag and retained WAL; `undefined` when the slot does not exist.
 *
 * @example
 * const status = await readSlotStatus(pg, 'cdc_cache')
 * if (status && status.retainedBytes > 10 * 2 ** 30) logger.warn('slot holds more than 10 GiB of WAL')
 */
export async function readSlotStatus(client: Client, slot: string): Promise<SlotStatus | undefined> {
  const result = await client.query<{ lag: string | null; retained: string | null; active: boolean }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag,
            pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::text AS retained, active
     FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const row = result.rows[0];
  if (!row) return undefined;
  return { lagBytes: Number(row.lag ?? 0), retainedBytes: Number(row.retained ?? 0), active: row.active };
}
