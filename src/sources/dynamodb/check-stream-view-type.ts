import { CdcCacheError } from '../../errors';
import { bindingId, indexBindings, type Keyspace } from '../../keyspace';

/** A DynamoDB stream view type. */
export type StreamViewType = 'KEYS_ONLY' | 'NEW_IMAGE' | 'OLD_IMAGE' | 'NEW_AND_OLD_IMAGES';

const VIEW_TYPES: ReadonlySet<string> = new Set([
  'KEYS_ONLY',
  'NEW_IMAGE',
  'OLD_IMAGE',
  'NEW_AND_OLD_IMAGES',
]);

/**
 * Check, before consuming, that a table's stream carries what the keyspace needs, and throw a
 * `CDC_CONFIG_INVALID` error that says what to change otherwise:
 *
 * - refresh mode writes the new image, so it needs `NEW_IMAGE` or `NEW_AND_OLD_IMAGES`;
 * - a key or tag built from attributes outside the table's primary key needs both images
 *   (`NEW_AND_OLD_IMAGES`): the old image for the key the item leaves, the new one for the key it enters;
 * - any view type works when every placeholder is a key attribute, since `Keys` is always present.
 *
 * `keyAttributes` is the table's key schema (DescribeTable), or the `Keys` of a record when unknown.
 * Returns the names of the entities bound to the table (empty: the table is outside the keyspace).
 *
 * @example
 * checkStreamViewType(keyspace, 'Products', 'KEYS_ONLY', ['pk']) // throws if 'product' is in refresh mode
 */
export function checkStreamViewType(
  keyspace: Keyspace,
  table: string,
  viewType: string | undefined,
  keyAttributes: readonly string[],
): string[] {
  const bindings = indexBindings(keyspace).get(bindingId('dynamodb', table)) ?? [];
  if (bindings.length === 0) return [];
  if (viewType === undefined || !VIEW_TYPES.has(viewType)) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `DynamoDB table '${table}' has no stream (or an unknown view type '${String(viewType)}'); enable a stream with NEW_AND_OLD_IMAGES`,
      { details: { table, viewType } },
    );
  }
  const keys = new Set(keyAttributes);
  const problems: string[] = [];
  for (const { entity, source } of bindings) {
    const outsideKey = Object.values(source.fields).filter((attribute) => !keys.has(attribute));
    if (entity.mode === 'refresh' && viewType !== 'NEW_IMAGE' && viewType !== 'NEW_AND_OLD_IMAGES') {
      problems.push(
        `entity '${entity.name}' is in refresh mode and needs the new image: set the stream view type to NEW_AND_OLD_IMAGES (or NEW_IMAGE), or use mode 'delete'`,
      );
    }
    if (outsideKey.length > 0 && viewType !== 'NEW_AND_OLD_IMAGES') {
      problems.push(
        `entity '${entity.name}' builds keys from non-key attributes (${outsideKey.join(', ')}), so a change must drop the old key and the new one: set the stream view type to NEW_AND_OLD_IMAGES`,
      );
    }
  }
  if (problems.length > 0) {
    throw new CdcCacheError(
      'CDC_CONFIG_INVALID',
      `DynamoDB table '${table}' streams ${viewType}, which the keyspace cannot work with:\n  - ${problems.join('\n  - ')}`,
      { details: { table, viewType, problems } },
    );
  }
  return bindings.map(({ entity }) => entity.name);
}
