import { CdcCacheError } from '../errors';
import {
  bindingId,
  type EntitySpec,
  generationKey,
  indexBindings,
  type Keyspace,
  type KeyTemplate,
  paramsFromRow,
  renderKeyTemplate,
  type SourceBinding,
  type SourceSpec,
  tagKey,
} from '../keyspace';
import { jsonSerializer, type Serializer } from '../redis/serializer';
import type { CacheAction } from './cache-action';
import type { ChangeEvent, Row } from './change-event';

/** What the planner decided for one event. */
export type EventPlan =
  /** The actions this event needs (at least one). `incomplete` names entities whose key an image could not build. */
  | {
      readonly status: 'planned';
      readonly actions: readonly CacheAction[];
      readonly incomplete: readonly string[];
    }
  /** Nothing to do: a table outside the keyspace, or no key values in the images. */
  | { readonly status: 'skipped'; readonly reason: string }
  /** The event cannot be planned (a key column holding a value no key can contain, an image that cannot be serialized). */
  | { readonly status: 'failed'; readonly error: CdcCacheError };

/** Options of {@link planActions}. */
export interface PlanOptions {
  /** The keyspace shared with the SDK. */
  readonly keyspace: Keyspace;
  /** Key prefix; defaults to the keyspace's own prefix. */
  readonly prefix?: string;
  /** Serializer of refresh-mode images; must be the SDK's (default {@link jsonSerializer}). */
  readonly serializer?: Serializer;
}

const bindingIndexes = new WeakMap<Keyspace, ReadonlyMap<string, readonly SourceBinding[]>>();

function bindingsOf(keyspace: Keyspace): ReadonlyMap<string, readonly SourceBinding[]> {
  let index = bindingIndexes.get(keyspace);
  if (!index) {
    index = indexBindings(keyspace);
    bindingIndexes.set(keyspace, index);
  }
  return index;
}

/**
 * Plan the Redis actions for a batch of change events: one {@link EventPlan} per event, in order. Pure: it
 * never touches Redis, so `cdc-cache explain` and tests call it directly.
 *
 * Every bound entity yields keys from BOTH images (an email change drops the old `user-by-email:` key);
 * delete-mode entities are UNLINKed; refresh-mode entities get the projected after image, version-guarded,
 * and a tombstone where the row left the key; a truncate bumps the entity generation.
 *
 * @example
 * const [plan] = planActions([event], { keyspace })
 * // { status: 'planned', actions: [{ kind: 'delete', key: 'user:42', entity: 'user' }, ...], incomplete: [] }
 */
export function planActions(events: readonly ChangeEvent[], options: PlanOptions): EventPlan[] {
  const index = bindingsOf(options.keyspace);
  const prefix = options.prefix ?? options.keyspace.prefix;
  const serializer = options.serializer ?? jsonSerializer;
  return events.map((event) => {
    const bindings = index.get(bindingId(event.source === 'dynamodb' ? 'dynamodb' : 'table', event.table));
    if (!bindings) return { status: 'skipped', reason: `table '${event.table}' is not in the keyspace` };
    try {
      return planEvent(event, bindings, prefix, serializer);
    } catch (error) {
      const planError =
        error instanceof CdcCacheError && error.code === 'CDC_PLAN_FAILED'
          ? error
          : new CdcCacheError('CDC_PLAN_FAILED', `${event.table}: ${(error as Error).message}`, {
              cause: error,
              details: { table: event.table },
            });
      return { status: 'failed', error: planError };
    }
  });
}

function planEvent(
  event: ChangeEvent,
  bindings: readonly SourceBinding[],
  prefix: string,
  serializer: Serializer,
): EventPlan {
  const actions: CacheAction[] = [];
  const incomplete: string[] = [];
  const seen = new Set<string>();
  const add = (action: CacheAction) => {
    const id = `${action.kind}\u0000${action.key}`;
    if (seen.has(id)) return;
    seen.add(id);
    actions.push(action);
  };

  if (event.op === 'truncate') {
    for (const { entity } of bindings)
      add({
        kind: 'bump-generation',
        key: generationKey(prefix, entity.name),
        entity: entity.name,
        version: event.version,
      });
    return { status: 'planned', actions, incomplete };
  }

  // A delete without a before image (DynamoDB KEYS_ONLY, a source without full row images) still names the row by its key.
  const before = event.before ?? (event.op === 'delete' ? event.key : null);
  const after = event.op === 'delete' ? null : event.after;
  for (const { entity, source } of bindings) {
    const build = (template: KeyTemplate, row: Row | null) => {
      if (!row) return undefined;
      const key = renderFromRow(template, source, row, event.table, entity.name);
      if (key === undefined && template === entity.template) incomplete.push(entity.name);
      return key;
    };
    const beforeKey = build(entity.template, before);
    const afterKey = build(entity.template, after);

    if (entity.mode === 'delete' || event.version === '') {
      if (beforeKey !== undefined) add({ kind: 'delete', key: prefix + beforeKey, entity: entity.name });
      if (afterKey !== undefined) add({ kind: 'delete', key: prefix + afterKey, entity: entity.name });
    } else {
      if (afterKey !== undefined && after) {
        const payload = serializeImage(serializer, entity, after, event.table);
        add({
          kind: 'refresh',
          key: prefix + afterKey,
          entity: entity.name,
          version: event.version,
          payload,
        });
      }
      if (beforeKey !== undefined && beforeKey !== afterKey)
        add({ kind: 'tombstone', key: prefix + beforeKey, entity: entity.name, version: event.version });
    }

    for (const template of entity.tags) {
      for (const row of [before, after]) {
        const tag = build(template, row);
        if (tag !== undefined) add({ kind: 'invalidate-tag', key: tagKey(prefix, tag), tag });
      }
    }
  }
  if (actions.length === 0) {
    return {
      status: 'skipped',
      reason: `no key of ${event.table}'s entities could be built from the row images`,
    };
  }
  return { status: 'planned', actions, incomplete };
}

/**
 * Render a key or tag from a row. A column that is absent, null or '' yields `undefined` (no entry can
 * exist for it); a value no key can contain (an object, NaN) means the decoder and the keyspace disagree
 * on the column's type, which must not pass silently.
 */
function renderFromRow(
  template: KeyTemplate,
  source: SourceSpec,
  row: Row,
  table: string,
  entity: string,
): string | undefined {
  const params = paramsFromRow(source, row);
  const rendered = renderKeyTemplate(template, params);
  if ('key' in rendered) return rendered.key;
  for (const name of rendered.missing) {
    const value = params[name];
    if (value !== null && value !== undefined && value !== '') {
      throw new CdcCacheError(
        'CDC_PLAN_FAILED',
        `${entity}: column '${source.fields[name]}' of ${table} holds ${describe(value)}, which cannot fill {${name}} in '${template.source}'`,
        { details: { table, entity, placeholder: name, column: source.fields[name] } },
      );
    }
  }
  return undefined;
}

function serializeImage(serializer: Serializer, entity: EntitySpec, after: Row, table: string): string {
  let value: Row = after;
  if (entity.fields) {
    const projected: Record<string, unknown> = {};
    for (const field of entity.fields) projected[field] = after[field];
    value = projected;
  }
  try {
    return serializer.serialize(value);
  } catch (error) {
    throw new CdcCacheError(
      'CDC_PLAN_FAILED',
      `${entity.name}: cannot serialize the after image of ${table}: ${(error as Error).message}`,
      { cause: error, details: { table, entity: entity.name } },
    );
  }
}

function describe(value: unknown): string {
  if (typeof value === 'number') return `the number ${value}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'an invalid Date';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
