import type { Keyspace } from './keyspace-types';

/**
 * The columns of each Debezium source table that a keyspace reads: the columns behind key and tag
 * placeholders, plus, for refresh-mode entities, the cached fields (every column when none are listed). A
 * decoder builds only these; `undefined` means the keyspace does not consume the table.
 *
 * @example
 * const columns = keyspaceColumns(keyspace)
 * columns('public.users') // ['id', 'email']
 * columns('public.audit_log') // undefined
 */
export function keyspaceColumns(
  keyspace: Keyspace,
): (table: string) => readonly string[] | 'all' | undefined {
  const byTable = new Map<string, Set<string> | 'all'>();
  for (const entity of keyspace.entities.values()) {
    for (const source of entity.sources) {
      if (source.kind !== 'table') continue;
      let columns = byTable.get(source.table);
      if (columns === 'all') continue;
      if (entity.mode === 'refresh' && entity.fields === null) {
        byTable.set(source.table, 'all');
        continue;
      }
      columns ??= new Set();
      for (const template of [entity.template, ...entity.tags]) {
        for (const name of template.placeholders) columns.add(source.fields[name] ?? name);
      }
      if (entity.mode === 'refresh') for (const field of entity.fields ?? []) columns.add(field);
      byTable.set(source.table, columns);
    }
  }
  const lists = new Map(
    [...byTable].map(([table, columns]) => [table, columns === 'all' ? 'all' : [...columns]] as const),
  );
  return (table) => lists.get(table);
}
