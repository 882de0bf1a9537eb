import { type EntitySpec, entityKey } from '../keyspace';

/** Most keys remembered per entity; the memory starts over when full (bounded, whatever the ids read). */
export const KEY_MEMO_ENTRIES = 4096;

/**
 * The entry key of `spec` for some params (`entityKey`, the one renderer), remembered by id for entities
 * keyed by one integer placeholder (`user:{id}`): a hot key read again is neither rendered again nor, as a
 * fresh string, hashed again by the near cache's lookup, which was a third of a near-cache hit. Any other
 * value, or a template with more placeholders, is rendered each time.
 *
 * @example
 * const keyOf = memoizedEntityKey(spec, 'shop:')
 * keyOf({ id: 42 }) === keyOf({ id: 42 }) // the same string, rendered once
 */
export function memoizedEntityKey(
  spec: EntitySpec,
  prefix: string,
): (params: Readonly<Record<string, unknown>>) => string {
  const render = (params: Readonly<Record<string, unknown>>) => entityKey(spec, params, prefix);
  const { placeholders } = spec.template;
  const name = placeholders.length === 1 ? placeholders[0]! : undefined;
  if (name === undefined) return render;
  const keys = new Map<number, string>();
  return (params) => {
    const id = params[name];
    // Positive integers only: the map cannot tell 0 from -0, which a declared type may render apart.
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return render(params);
    let key = keys.get(id);
    if (key === undefined) {
      key = render(params);
      if (keys.size >= KEY_MEMO_ENTRIES) keys.clear();
      keys.set(id, key);
    }
    return key;
  };
}
