import { CdcCacheError } from '../errors';
import {
  type CompiledKeyRenderer,
  compileKeyRenderer,
  type EntitySpec,
  generationKey,
  type Keyspace,
  type KeyTemplate,
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

/**
 * Renders a key or tag from a row: `null` when a column holds null or '' (no entry can exist for it),
 * `undefined` when a column is absent from the image (an incomplete image). `columns`: the row columns it
 * reads (see {@link CompiledKeyRenderer}).
 */
interface Renderer {
  (row: Row, table: string): string | null | undefined;
  readonly columns: readonly string[];
}

/** One entity bound to one source table, with its renderers compiled once per keyspace and prefix. */
interface CompiledBinding {
  readonly entity: EntitySpec;
  readonly key: Renderer;
  readonly tags: readonly Renderer[];
  readonly generationKey: string;
  /**
   * The item attributes the key is rendered from, for a DynamoDB source (null for Debezium tables, whose
   * versions are one order per server). When they are all key attributes, every record on the key is of one
   * item and its versions compare; otherwise records of different items meet on one key.
   */
  readonly keyColumns: readonly string[] | null;
}

const NONE: readonly string[] = Object.freeze([]);
/** Compiled bindings by source kind, then by table name (no per-event string to build and hash). */
type BindingIndex = Readonly<Record<SourceSpec['kind'], ReadonlyMap<string, readonly CompiledBinding[]>>>;

const compiledByKeyspace = new WeakMap<Keyspace, Map<string, BindingIndex>>();

function compiledBindings(keyspace: Keyspace, prefix: string): BindingIndex {
  let byPrefix = compiledByKeyspace.get(keyspace);
  if (!byPrefix) {
    byPrefix = new Map();
    compiledByKeyspace.set(keyspace, byPrefix);
  }
  let index = byPrefix.get(prefix);
  if (!index) {
    const built = {
      table: new Map<string, CompiledBinding[]>(),
      dynamodb: new Map<string, CompiledBinding[]>(),
    };
    for (const entity of keyspace.entities.values()) {
      for (const source of entity.sources) {
        const tables = built[source.kind];
        const list = tables.get(source.table) ?? [];
        list.push({
          entity,
          key: sourceRenderer(entity.template, source, entity, prefix),
          tags: entity.tags.map((template) => sourceRenderer(template, source, entity, '')),
          generationKey: generationKey(prefix, entity.name),
          keyColumns:
            source.kind === 'dynamodb'
              ? entity.template.placeholders.map((name) => source.fields[name] ?? name)
              : null,
        });
        tables.set(source.table, list);
      }
    }
    index = built;
    byPrefix.set(prefix, index);
  }
  return index;
}

/**
 * Plan the Redis actions for a batch of change events: one {@link EventPlan} per event, in order. Pure: it
 * never touches Redis, so `cdc-cache explain` and tests call it directly.
 *
 * Every bound entity yields keys from BOTH images (an email change drops the old `user-by-email:` key);
 * delete-mode entities get a versioned tombstone (the entry is deleted and the version remembered);
 * refresh-mode entities get the projected after image, version-guarded and added to its tag sets, and a
 * tombstone where the row left the key; a truncate replaces the entity generation. A key whose records
 * cannot be compared by version (no version, or a DynamoDB key built from attributes that are not the
 * item's key, so records of different items meet on it) is deleted without a version, in either mode.
 *
 * @example
 * const [plan] = planActions([event], { keyspace })
 * // { status: 'planned', actions: [{ kind: 'tombstone', key: 'user:42', entity: 'user', version: '…' }, ...], incomplete: [] }
 */
export function planActions(events: readonly ChangeEvent[], options: PlanOptions): EventPlan[] {
  const prefix = options.prefix ?? options.keyspace.prefix;
  const index = compiledBindings(options.keyspace, prefix);
  const serializer = options.serializer ?? jsonSerializer;
  const plans: EventPlan[] = new Array(events.length);
  for (let at = 0; at < events.length; at++) {
    const event = events[at]!;
    const bindings = (event.source === 'dynamodb' ? index.dynamodb : index.table).get(event.table);
    if (!bindings) {
      plans[at] = { status: 'skipped', reason: `table '${event.table}' is not in the keyspace` };
      continue;
    }
    try {
      plans[at] = planEvent(event, bindings, prefix, serializer);
    } catch (error) {
      const planError =
        error instanceof CdcCacheError && error.code === 'CDC_PLAN_FAILED'
          ? error
          : new CdcCacheError('CDC_PLAN_FAILED', `${event.table}: ${(error as Error).message}`, {
              cause: error,
              details: { table: event.table },
            });
      plans[at] = { status: 'failed', error: planError };
    }
  }
  return plans;
}

function planEvent(
  event: ChangeEvent,
  bindings: readonly CompiledBinding[],
  prefix: string,
  serializer: Serializer,
): EventPlan {
  const actions: CacheAction[] = [];
  let incomplete: string[] | undefined;

  if (event.op === 'truncate') {
    // The truncate's transaction travels with it: a fill from a replica that has not replayed it is refused.
    const transaction = event.transactionId === undefined ? {} : { transactionId: event.transactionId };
    for (const binding of bindings) {
      add(actions, {
        kind: 'bump-generation',
        key: binding.generationKey,
        entity: binding.entity.name,
        version: event.version,
        ...transaction,
      });
    }
    return { status: 'planned', actions, incomplete: NONE };
  }

  // A delete without a before image (DynamoDB KEYS_ONLY, a source without full row images) still names the row by its key.
  const before = event.before ?? (event.op === 'delete' ? event.key : null);
  const after = event.op === 'delete' ? null : event.after;
  const { table, version, transactionId } = event;
  for (const binding of bindings) {
    const { entity } = binding;
    const renderedBefore = before ? binding.key(before, table) : null;
    const renderedAfter = after ? renderAfter(binding.key, before, renderedBefore, after, table) : null;
    if (renderedBefore === undefined || renderedAfter === undefined) {
      incomplete ??= [];
      incomplete.push(entity.name);
    }
    const beforeKey = renderedBefore ?? undefined;
    const afterKey = renderedAfter ?? undefined;

    if (version === '' || !versionsCompare(binding, event)) {
      // No version, or versions of different items meet on this key: delete, never compare.
      if (beforeKey !== undefined) add(actions, { kind: 'delete', key: beforeKey, entity: entity.name });
      if (afterKey !== undefined && afterKey !== beforeKey) {
        add(actions, { kind: 'delete', key: afterKey, entity: entity.name });
      }
    } else if (entity.mode === 'delete') {
      // A versioned delete: the version is remembered, so a fill read before this change is not cached.
      if (beforeKey !== undefined)
        add(actions, tombstoneAction(beforeKey, entity.name, version, transactionId));
      if (afterKey !== undefined && afterKey !== beforeKey) {
        add(actions, tombstoneAction(afterKey, entity.name, version, transactionId));
      }
    } else {
      if (afterKey !== undefined && after) {
        const payload = serializeImage(serializer, entity, after, table);
        // The refreshed entry joins its tag sets, as an SDK fill does, so deleteByTag finds it.
        const tags: string[] = [];
        for (const render of binding.tags) {
          const tag = render(after, table);
          if (tag) tags.push(tagKey(prefix, tag));
        }
        // The change's transaction travels with its version (remembered together, see version-memory.lua).
        add(
          actions,
          transactionId === undefined
            ? { kind: 'refresh', key: afterKey, entity: entity.name, version, payload, tags }
            : { kind: 'refresh', key: afterKey, entity: entity.name, version, transactionId, payload, tags },
        );
      }
      if (beforeKey !== undefined && beforeKey !== afterKey) {
        add(actions, tombstoneAction(beforeKey, entity.name, version, transactionId));
      }
    }

    for (const render of binding.tags) {
      const renderedBeforeTag = before ? render(before, table) : null;
      const beforeTag = renderedBeforeTag ?? undefined;
      const afterTag = (after && renderAfter(render, before, renderedBeforeTag, after, table)) ?? undefined;
      if (beforeTag !== undefined) {
        add(actions, { kind: 'invalidate-tag', key: tagKey(prefix, beforeTag), tag: beforeTag });
      }
      if (afterTag !== undefined && afterTag !== beforeTag) {
        add(actions, { kind: 'invalidate-tag', key: tagKey(prefix, afterTag), tag: afterTag });
      }
    }
  }
  if (actions.length === 0) {
    return {
      status: 'skipped',
      reason: `no key of ${event.table}'s entities could be built from the row images`,
    };
  }
  return { status: 'planned', actions, incomplete: incomplete ?? NONE };
}

/**
 * A tombstone, with the change's transaction when it has one (remembered with the version, see
 * version-memory.lua). Two literals, not a spread: a spread builds a second object per action.
 */
function tombstoneAction(
  key: string,
  entity: string,
  version: string,
  transactionId: string | undefined,
): CacheAction {
  return transactionId === undefined
    ? { kind: 'tombstone', key, entity, version }
    : { kind: 'tombstone', key, entity, version, transactionId };
}

/**
 * The after image's key or tag: the before image's when both images hold the same values in every column
 * the renderer reads (the same text, without rendering it again and comparing two fresh strings char by
 * char, which is most of what an update that keeps its key costs the planner).
 */
function renderAfter(
  render: Renderer,
  before: Row | null,
  renderedBefore: string | null | undefined,
  after: Row,
  table: string,
): string | null | undefined {
  return before && sameValues(render.columns, before, after) ? renderedBefore : render(after, table);
}

/** True when both rows hold the same defined value in each of `columns` (undefined may mean absent). */
function sameValues(columns: readonly string[], before: Row, after: Row): boolean {
  for (const column of columns) {
    const value = before[column];
    if (value === undefined || !Object.is(value, after[column])) return false;
  }
  return true;
}

/** True when the versions of every record that can reach this binding's keys are of one order. */
function versionsCompare(binding: CompiledBinding, event: ChangeEvent): boolean {
  const { keyColumns } = binding;
  if (keyColumns === null) return true;
  const key = event.key;
  if (!key) return false;
  for (const column of keyColumns) if (!(column in key)) return false;
  return true;
}

/** Append unless the event already has the same action on the same key (a handful per event: a scan is cheapest). */
function add(actions: CacheAction[], action: CacheAction): void {
  for (const existing of actions) if (existing.key === action.key && existing.kind === action.kind) return;
  actions.push(action);
}

/**
 * The keyspace's one renderer (compileKeyRenderer, shared with the SDK) over a source's rows. A value no key
 * can contain (an object, NaN, a value not of the declared type) means the decoder and the keyspace
 * disagree on the column's type, which must not pass silently: it throws `CDC_PLAN_FAILED`.
 */
function sourceRenderer(
  template: KeyTemplate,
  source: SourceSpec,
  entity: EntitySpec,
  prefix: string,
): Renderer {
  const render: CompiledKeyRenderer = compileKeyRenderer(template, {
    prefix,
    columns: source.fields,
    types: entity.types,
  });
  const renderRow = (row: Row, table: string) => {
    try {
      return render(row);
    } catch (error) {
      const details = error instanceof CdcCacheError ? error.details : {};
      throw new CdcCacheError('CDC_PLAN_FAILED', `${entity.name}: ${table}: ${(error as Error).message}`, {
        cause: error,
        details: { ...details, table, entity: entity.name },
      });
    }
  };
  return Object.assign(renderRow, { columns: render.columns });
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
