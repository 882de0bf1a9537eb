import { type EntitySpec, entityKey } from '../keyspace';

/**
 * The entry key of `spec` for some params (`entityKey`, the one renderer), remembered by id, up to `entries`
 * ids, for entities keyed by one integer placeholder (`user:{id}`): a hot key read again is neither rendered
 * again nor, as a fresh string, hashed again by the near cache's lookup (most of a near-cache hit's cost).
 * Sized like the near cache: a key held there is remembered here while the ids read fit; when they do not,
 * the memory starts over and reads go to Redis anyway. Any other value, a template with more placeholders, or
 * `entries` 0 (no near cache: a read costs a round trip, rendering is noise): rendered each time.
 *
 * @example
 * const keyOf = memoizedEntityKey(spec, 'shop:', 10_000)
 * keyOf({ id: 42 }) === keyOf({ id: 42 }) // the same string, rendered once
 */
export function memoizedEntityKey(
  spec: EntitySpec,
  prefix: string,
  entries: number,
): (params: Readonly<Record<string, unknown>>) => string {
  const render = (params: Readonly<Record<string, unknown>>) => entityKey(spec, params, prefix);
  const { placeholders } = spec.template;
  const name = placeholders.length === 1 ? placeholders[0]! : undefined;
  if (name === undefined || entries <= 0) return render;
  const keys = new Map<number, string>();
  return (params) => {
    const id = params[name];
    // Positive integers only: the map cannot tell 0 from -0, which a declared type may render apart.
    if (typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return render(params);
    let key = keys.get(id);
    if (key === undefined) {
      key = render(params);
      if (keys.size >= entries) keys.clear();
      keys.set(id, key);
    }
    return key;
  };
}
