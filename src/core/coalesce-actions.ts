import { laterTransactionId } from '../keyspace/postgres-snapshot';
import type { CacheAction } from './cache-action';
import type { EventPlan } from './plan-actions';

/** The actions of a batch after coalescing: one per key. */
export interface CoalescedBatch {
  /** One action per key. */
  readonly actions: readonly CacheAction[];
  /** Key -> index into `actions`, to map results back to the events that planned them. */
  readonly indexOf: ReadonlyMap<string, number>;
}

/**
 * Merge the planned actions of a batch so each key gets one action: a delete beats everything, then the
 * highest version wins, and at an equal version a tombstone beats a refresh (the conservative choice);
 * a generation is bumped once, remembering the newest truncate. The action kept carries the newest
 * transaction id of the two (changes of two rows meeting on one key commit in either order of their ids,
 * and the key's memory must count both).
 *
 * @example
 * coalesceActions(planActions(events, { keyspace })).actions // one action per key
 */
export function coalesceActions(plans: readonly EventPlan[]): CoalescedBatch {
  const indexOf = new Map<string, number>();
  const actions: CacheAction[] = [];
  for (const plan of plans) {
    if (plan.status !== 'planned') continue;
    for (const action of plan.actions) {
      const at = indexOf.get(action.key);
      if (at === undefined) {
        indexOf.set(action.key, actions.length);
        actions.push(action);
      } else {
        actions[at] = stronger(actions[at]!, action);
      }
    }
  }
  return { actions, indexOf };
}

/** The action to keep when two target the same key. */
export function stronger(current: CacheAction, next: CacheAction): CacheAction {
  if (current.kind === 'delete') return current;
  if (next.kind === 'delete') return next;
  if (
    (current.kind === 'refresh' || current.kind === 'tombstone') &&
    (next.kind === 'refresh' || next.kind === 'tombstone')
  ) {
    const kept =
      current.version !== next.version
        ? current.version > next.version
          ? current
          : next
        : current.kind === 'tombstone'
          ? current
          : next;
    const transactionId = laterTransactionId(current.transactionId ?? '', next.transactionId ?? '');
    return transactionId === (kept.transactionId ?? '') ? kept : { ...kept, transactionId };
  }
  if (current.kind === 'bump-generation' && next.kind === 'bump-generation') {
    const kept = next.version > current.version ? next : current;
    const transactionId = laterTransactionId(current.transactionId ?? '', next.transactionId ?? '');
    return transactionId === (kept.transactionId ?? '') ? kept : { ...kept, transactionId };
  }
  return current;
}
