/**
 * `row[name] = value` as JSON.parse does it: a member named `__proto__` becomes an own property instead of
 * replacing the object's prototype. Decoders build rows from names a change stream chose; this is how they
 * store them.
 *
 * @example
 * const row: Record<string, unknown> = {}
 * setOwnMember(row, '__proto__', { admin: true }) // Object.getPrototypeOf(row) is still Object.prototype
 */
export function setOwnMember(row: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') {
    Object.defineProperty(row, name, { value, enumerable: true, writable: true, configurable: true });
  } else row[name] = value;
}
