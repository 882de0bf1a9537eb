import type { CacheAction } from './cache-action';
import type { EventPlan } from './plan-actions';

/** The actions of a batch after coalescing, each with the indexes of the events that rely on it. */
export interface CoalescedBatch {
  /** One action per key. */
  readonly actions: readonly CacheAction[];
  /** `owners[i]` lists the indexes (into the plans) of the events that planned an action on `actions[i].key`. */
  readonly owners: readonly (readonly number[])[];
}

/**
 * Merge the planned actions of a batch so each key gets one action: a delete beats everything, then the
 * highest version wins, and at an equal version a tombstone beats a refresh (the conservative choice).
 *
 * @example
 * coalesceActions(planActions(events, { keyspace })).actions // one action per key
 */
export function coalesceActions(plans: readonly EventPlan[]): CoalescedBatch {
  const byKey = new Map<string, number>();
  const actions: CacheAction[] = [];
  const owners: number[][] = [];
  plans.forEach((plan, eventIndex) => {
    if (plan.status !== 'planned') return;
    for (const action of plan.actions) {
      const at = byKey.get(action.key);
      if (at === undefined) {
        byKey.set(action.key, actions.length);
        actions.push(action);
        owners.push([eventIndex]);
        continue;
      }
      actions[at] = stronger(actions[at]!, action);
      const list = owners[at]!;
      if (list[list.length - 1] !== eventIndex) list.push(eventIndex);
    }
  });
  return { actions, owners };
}

/** The action to keep when two target the same key. */
export function stronger(current: CacheAction, next: CacheAction): CacheAction {
  if (current.kind === 'delete') return current;
  if (next.kind === 'delete') return next;
  if (
    (current.kind === 'refresh' || current.kind === 'tombstone') &&
    (next.kind === 'refresh' || next.kind === 'tombstone')
  ) {
    if (current.version !== next.version) return current.version > next.version ? current : next;
    return current.kind === 'tombstone' ? current : next;
  }
  // One generation bump per entity, remembering the newest truncate.
  if (
    current.kind === 'bump-generation' &&
    next.kind === 'bump-generation' &&
    next.version > current.version
  ) {
    return next;
  }
  return current;
}
