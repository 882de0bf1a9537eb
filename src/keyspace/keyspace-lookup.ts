import { CdcCacheError } from '../errors';
import { renderKeyTemplate } from './key-template';
import type { EntitySpec, Keyspace, SourceSpec } from './keyspace-types';

/** An entity together with the one of its sources that a change came from. */
export interface SourceBinding {
  readonly entity: EntitySpec;
  readonly source: SourceSpec;
}

/**
 * Look up an entity by name, or throw `CDC_INVALID_KEY_PARAMS` naming the unknown entity.
 *
 * @example
 * const user = getEntity(keyspace, 'user')
 */
export function getEntity(keyspace: Keyspace, name: string): EntitySpec {
  const entity = keyspace.entities.get(name);
  if (!entity) {
    throw new CdcCacheError(
      'CDC_INVALID_KEY_PARAMS',
      `Unknown entity '${name}'; the keyspace defines: ${[...keyspace.entities.keys()].join(', ')}`,
    );
  }
  return entity;
}

/**
 * The full Redis key of one entry: prefix plus the rendered template. Throws `CDC_INVALID_KEY_PARAMS`
 * naming each missing or unusable parameter.
 *
 * @example
 * entryKey(keyspace, 'user', { id: 42 }) // 'user:42'
 */
export function entryKey(
  keyspace: Keyspace,
  entityName: string,
  params: Readonly<Record<string, unknown>>,
  prefix: string = keyspace.prefix,
): string {
  const entity = getEntity(keyspace, entityName);
  const rendered = renderKeyTemplate(entity.template, params);
  if ('missing' in rendered) {
    throw new CdcCacheError(
      'CDC_INVALID_KEY_PARAMS',
      `${entityName}: key '${entity.template.source}' needs a non-empty string, number, bigint, boolean or Date for: ${rendered.missing.join(', ')}`,
      { details: { entity: entityName, missing: rendered.missing } },
    );
  }
  return prefix + rendered.key;
}

/**
 * Every entity bound to a source table. `kind` is `table` for Debezium sources, `dynamodb` for DynamoDB.
 * Build the lookup once per keyspace: it is on the worker's hot path.
 *
 * @example
 * const bindings = indexBindings(keyspace)
 * bindings.get('table:public.users') // [{ entity: user, source }, { entity: userByEmail, source }]
 */
export function indexBindings(keyspace: Keyspace): ReadonlyMap<string, readonly SourceBinding[]> {
  const index = new Map<string, SourceBinding[]>();
  for (const entity of keyspace.entities.values()) {
    for (const source of entity.sources) {
      const id = bindingId(source.kind, source.table);
      const list = index.get(id) ?? [];
      list.push({ entity, source });
      index.set(id, list);
    }
  }
  return index;
}

/** The lookup id used by {@link indexBindings}. */
export function bindingId(kind: SourceSpec['kind'], table: string): string {
  return `${kind}:${table}`;
}

/**
 * Map a source row to the entity's key parameters through the source's field mapping.
 *
 * @example
 * paramsFromRow({ kind: 'dynamodb', table: 'Products', fields: { sku: 'pk' } }, { pk: 'A1' }) // { sku: 'A1' }
 */
export function paramsFromRow(
  source: SourceSpec,
  row: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const params: Record<string, unknown> = {};
  for (const [placeholder, column] of Object.entries(source.fields)) params[placeholder] = row[column];
  return params;
}
