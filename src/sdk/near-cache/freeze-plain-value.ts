/**
 * Deep-freeze `value` when it is plain data (primitives, arrays and objects whose prototype is
 * `Object.prototype` or `null`), so a caller mutating a value served from memory cannot change what the
 * next caller gets. Returns false, having frozen nothing, when something inside cannot be protected by
 * freezing (a `Date`, `Map`, `Set`, typed array or class instance keeps its internal state mutable): such a
 * value must be served as a fresh copy each time.
 *
 * @example
 * freezePlainValue({ id: 1, roles: ['admin'] }) // true, and the object and its array are frozen
 * freezePlainValue({ at: new Date() })          // false, nothing frozen
 */
export function freezePlainValue(value: unknown): boolean {
  if (!isPlain(value, 0)) return false;
  freeze(value);
  return true;
}

const MAX_DEPTH = 64;

function isPlain(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function';
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!isPlain(item, depth + 1)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return false;
  for (const key in value) if (!isPlain((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

function freeze(value: unknown): void {
  if (value === null || typeof value !== 'object' || Object.isFrozen(value)) return;
  Object.freeze(value);
  if (Array.isArray(value)) for (const item of value) freeze(item);
  else for (const key in value) freeze((value as Record<string, unknown>)[key]);
}
