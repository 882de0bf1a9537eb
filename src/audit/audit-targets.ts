import { truncationKey } from '../core/apply-actions';
import type { ChangeEvent } from '../core/change-event';
import { type PlanOptions, planActions } from '../core/plan-actions';
import { generationKey } from '../keyspace';

/** One Redis key the auditor reads for a change. */
export type AuditTarget =
  /** An entry the change made stale; read with its entity's generation key. */
  | { readonly kind: 'entry'; readonly key: string; readonly generationKey: string }
  /** A truncate: the entity's truncation key must reach the change's version. */
  | { readonly kind: 'truncation'; readonly key: string; readonly version: string };

/** The keys to check for each change, or why a change cannot be audited. */
export type AuditPlan =
  | { readonly status: 'audit'; readonly targets: readonly AuditTarget[] }
  | { readonly status: 'skip'; readonly reason: 'not-planned' | 'unverifiable' };

/**
 * The keys an audit reads for each change, planned with the worker's own planner (`planActions`), so the
 * keys are the worker's by construction. Tag invalidations are not audited (a tag set holds no version),
 * nor are truncates of unknown version; a change with nothing left to read is `unverifiable`.
 *
 * @example
 * auditPlans([event], { keyspace })
 * // [{ status: 'audit', targets: [{ kind: 'entry', key: 'user:42', generationKey: '_cc:gen:user' }] }]
 */
export function auditPlans(events: readonly ChangeEvent[], options: PlanOptions): AuditPlan[] {
  const prefix = options.prefix ?? options.keyspace.prefix;
  return planActions(events, options).map((plan) => {
    if (plan.status !== 'planned') return { status: 'skip', reason: 'not-planned' };
    const targets: AuditTarget[] = [];
    for (const action of plan.actions) {
      switch (action.kind) {
        case 'delete':
        case 'refresh':
        case 'tombstone':
          targets.push({
            kind: 'entry',
            key: action.key,
            generationKey: generationKey(prefix, action.entity),
          });
          break;
        case 'bump-generation':
          if (action.version !== '') {
            targets.push({
              kind: 'truncation',
              key: truncationKey(prefix, action.entity),
              version: action.version,
            });
          }
          break;
        case 'invalidate-tag':
          break;
      }
    }
    return targets.length > 0 ? { status: 'audit', targets } : { status: 'skip', reason: 'unverifiable' };
  });
}
