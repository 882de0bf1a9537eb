import { CdcCacheError } from '../errors';
import { compileKeyRenderer, type KeyRenderer } from './compile-key-renderer';
import { missingPlaceholders } from './key-template';
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
  return entityKey(getEntity(keyspace, entityName), params, prefix);
}

const keyRenderers = new WeakMap<EntitySpec, Map<string, KeyRenderer>>();

/**
 * The key of one entry of `entity`, through the keyspace's one renderer (compiled once per entity and
 * prefix, with the entity's declared column types): what the SDK's `get`, `set`, `delete` and `keyOf` use.
 * Throws `CDC_INVALID_KEY_PARAMS` naming each missing parameter, or the one whose value is unusable.
 *
 * @example
 * entityKey(getEntity(keyspace, 'user'), { id: 42 }, 'shop:') // 'shop:user:42'
 */
export function entityKey(
  entity: EntitySpec,
  params: Readonly<Record<string, unknown>>,
  prefix: string,
): string {
  let byPrefix = keyRenderers.get(entity);
  if (!byPrefix) {
    byPrefix = new Map();
    keyRenderers.set(entity, byPrefix);
  }
  let render = byPrefix.get(prefix);
  if (!render) {
    render = compileKeyRenderer(entity.template, { prefix, types: entity.types });
    byPrefix.set(prefix, render);
  }
  let key: string | null | undefined;
  try {
    key = render(params);
  } catch (error) {
    const { details, message } = error as CdcCacheError;
    throw new CdcCacheError('CDC_INVALID_KEY_PARAMS', `${entity.name}: ${message}`, {
      cause: error,
      details: { ...details, entity: entity.name },
    });
  }
  if (typeof key === 'string') return key;
  const missing = missingPlaceholders(entity.template, params);
  throw new CdcCacheError(
    'CDC_INVALID_KEY_PARAMS',
    `${entity.name}: key '${entity.template.source}' needs a value (not null, undefined or '') for: ${missing.join(', ')}`,
    { details: { entity: entity.name, missing } },
  );
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
