/**
 * One Redis action planned from change events. Every action is idempotent in effect, so a batch that is
 * applied twice (at-least-once delivery) leaves Redis as correct as applying it once.
 *
 * - `delete`          delete the entry and forget its versions: the change has no version, or versions of
 *                     different items meet on the key (they cannot be compared)
 * - `refresh`         write the after image, version-guarded (refresh-entry Lua), and list the entry in `tags`
 *                     (tag set keys) so a tag invalidation finds it
 * - `tombstone`       delete the entry and remember `version` (a versioned tombstone), so a late older refresh
 *                     or a fill read before the change cannot bring it back
 * - `bump-generation` replace the entity generation: every entry filled before reads as a miss (truncate); the
 *                     truncate `version` is kept too, so a late refresh from before it cannot write the row back,
 *                     and the generation memory remembers it (version, time, transaction) for fills
 * - `invalidate-tag`  delete every entry listed under a tag set, then the members handled
 *
 * @example
 * const action: CacheAction = { kind: 'delete', key: 'user:42', entity: 'user' }
 */
export type CacheAction =
  | { readonly kind: 'delete'; readonly key: string; readonly entity: string }
  | {
      readonly kind: 'refresh';
      readonly key: string;
      readonly entity: string;
      readonly version: string;
      /** The change's transaction (see `ChangeEvent.transactionId`), remembered with the version. */
      readonly transactionId?: string;
      readonly payload: string;
      readonly tags: readonly string[];
    }
  | {
      readonly kind: 'tombstone';
      readonly key: string;
      readonly entity: string;
      readonly version: string;
      /** The change's transaction (see `ChangeEvent.transactionId`), remembered with the version. */
      readonly transactionId?: string;
    }
  | {
      readonly kind: 'bump-generation';
      readonly key: string;
      readonly entity: string;
      readonly version: string;
      /** The truncate's transaction, remembered in the generation memory (fills are checked against it). */
      readonly transactionId?: string;
    }
  | { readonly kind: 'invalidate-tag'; readonly key: string; readonly tag: string };

/** The kind of a {@link CacheAction}. */
export type CacheActionKind = CacheAction['kind'];

/** Every action kind, in the order metrics and explain list them. */
export const CACHE_ACTION_KINDS: readonly CacheActionKind[] = [
  'delete',
  'refresh',
  'tombstone',
  'bump-generation',
  'invalidate-tag',
];
