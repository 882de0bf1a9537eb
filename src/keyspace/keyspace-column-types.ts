import type { ColumnType } from './column-type';
import type { Keyspace } from './keyspace-types';

/**
 * The declared column types of each Debezium source table (`sources[].columns`), merged over the entities
 * that read it (defineKeyspace rejects conflicting declarations). A decoder of events written without
 * schemas needs them to read day counts, micros and decimal bytes; `undefined` for a table with none.
 *
 * @example
 * const types = keyspaceColumnTypes(keyspace)
 * types('public.orders') // { day: { name: 'date' }, amount: { name: 'numeric', scale: 2 } }
 */
export function keyspaceColumnTypes(
  keyspace: Keyspace,
): (table: string) => Readonly<Record<string, ColumnType>> | undefined {
  const byTable = new Map<string, Record<string, ColumnType>>();
  for (const entity of keyspace.entities.values()) {
    for (const source of entity.sources) {
      if (source.kind !== 'table' || Object.keys(source.columns).length === 0) continue;
      byTable.set(source.table, { ...byTable.get(source.table), ...source.columns });
    }
  }
  return (table) => byTable.get(table);
}
