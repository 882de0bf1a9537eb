export { type ApplyContext, applyActions, truncationKey } from './apply-actions';
export {
  type ApplyRecordsOptions,
  applyRecords,
  type RecordEvent,
  type RecordOutcome,
} from './apply-records';
export type { CacheAction, CacheActionKind } from './cache-action';
export { CACHE_ACTION_KINDS } from './cache-action';
export type { ChangeEvent, ChangeOp, Row, SourceKind } from './change-event';
export { type CoalescedBatch, coalesceActions } from './coalesce-actions';
export {
  createInvalidationEngine,
  DEFAULT_ENGINE_OPTIONS,
  type InvalidationEngineOptions,
} from './create-invalidation-engine';
export { type EventPlan, type PlanOptions, planActions } from './plan-actions';
export type { Decoder, EventOutcome, InvalidationEngine } from './ports';
export {
  backoffDelay,
  DEFAULT_RETRY_OPTIONS,
  isRetriableRedisError,
  type RedisFault,
  type RetryControl,
  type RetryListener,
  type RetryOptions,
  redisFault,
  resolveRetryOptions,
  retry,
  sleep,
} from './retry';
