import { CdcCacheError } from '../../errors';
import type { Keyspace } from '../../keyspace';
import type { TableNeeds } from '../../sources/postgres';

/**
 * What each of the keyspace's relational tables needs from logical replication: the columns behind key
 * and tag placeholders (their old values must be streamed), and whether a refresh-mode entity caches its
 * rows. `only` restricts it to some tables (a keyspace may also name tables of other databases).
 *
 * @example
 * keyspaceTableNeeds(keyspace) // [{ table: 'public.users', keyColumns: ['id', 'email'], cachesRows: false }]
 */
export function keyspaceTableNeeds(keyspace: Keyspace, only?: readonly string[]): TableNeeds[] {
  const byTable = new Map<string, { columns: Set<string>; cachesRows: boolean }>();
  for (const entity of keyspace.entities.values()) {
    for (const source of entity.sources) {
      if (source.kind !== 'table') continue;
      const needs = byTable.get(source.table) ?? { columns: new Set<string>(), cachesRows: false };
      for (const template of [entity.template, ...entity.tags]) {
        for (const name of template.placeholders) needs.columns.add(source.fields[name] ?? name);
      }
      needs.cachesRows ||= entity.mode === 'refresh';
      byTable.set(source.table, needs);
    }
  }
  const unknown = (only ?? []).filter((table) => !byTable.has(table));
  if (unknown.length > 0) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `tables: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a source of the keyspace (its tables: ${[...byTable.keys()].join(', ') || 'none'})`,
    );
  }
  const tables = only ?? [...byTable.keys()];
  if (tables.length === 0) {
    throw new CdcCacheError('CDC_CONFIG_INVALID', 'the keyspace has no table sources: nothing to replicate');
  }
  return tables.map((table) => {
    const needs = byTable.get(table)!;
    return { table, keyColumns: [...needs.columns], cachesRows: needs.cachesRows };
  });
}
