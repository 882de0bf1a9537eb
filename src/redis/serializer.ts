import { CdcCacheError } from '../errors';

/**
 * Turns cached values into the payload of an entry and back. The worker's refresh mode writes after images
 * with {@link jsonSerializer}, so an SDK that reads refresh-mode entities must use it too (the default).
 */
export interface Serializer {
  /** Value -> payload text. May contain any character, `|` included. */
  serialize(value: unknown): string;
  /** Payload text -> value. */
  deserialize(payload: string): unknown;
}

// Payloads start with a one-character format marker: plain JSON (parsed without a reviver, the fast hit
// path) or tagged JSON (only when the value holds a Date, a BigInt, or an object that looks like a tag).
const PLAIN = 'j';
const TAGGED = 'J';
const DATE_TAG = '$cc:date';
const BIGINT_TAG = '$cc:bigint';
const ESCAPE_TAG = '$cc:object';

function isTagShaped(value: object): boolean {
  if (Array.isArray(value)) return false;
  for (const key in value) {
    if (key === DATE_TAG || key === BIGINT_TAG || key === ESCAPE_TAG) return true;
  }
  return false;
}

function serializeJson(value: unknown): string {
  let tagged = false;
  const escapes = new WeakSet<object>();
  const text = JSON.stringify(value, function replacer(this: Record<string, unknown>, key, current) {
    const original = this[key];
    if (original instanceof Date) {
      tagged = true;
      return { [DATE_TAG]: Number.isNaN(original.getTime()) ? null : original.toISOString() };
    }
    if (typeof current === 'bigint') {
      tagged = true;
      return { [BIGINT_TAG]: current.toString() };
    }
    // A user object that happens to carry a tag key is wrapped, so it never decodes as a Date or BigInt.
    if (typeof current === 'object' && current !== null && !escapes.has(this) && isTagShaped(current)) {
      tagged = true;
      const wrapper = { [ESCAPE_TAG]: current };
      escapes.add(wrapper);
      return wrapper;
    }
    return current;
  });
  // JSON.stringify(undefined) is undefined: cache it as null, which is what a lookup of nothing means.
  return (tagged ? TAGGED : PLAIN) + (text ?? 'null');
}

// Tags decode top-down (a reviver runs bottom-up and would decode the inside of an escaped object first).
function decodeTagged(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) value[index] = decodeTagged(value[index]);
    return value;
  }
  const record = value as Record<string, unknown>;
  if (DATE_TAG in record)
    return record[DATE_TAG] === null ? new Date(Number.NaN) : new Date(record[DATE_TAG] as string);
  if (BIGINT_TAG in record) return BigInt(record[BIGINT_TAG] as string);
  const target = (ESCAPE_TAG in record ? record[ESCAPE_TAG] : record) as Record<string, unknown>;
  for (const key of Object.keys(target)) {
    const decoded = decodeTagged(target[key]);
    // Plain assignment to '__proto__' would set the prototype instead of the own property JSON.parse made.
    if (key === '__proto__')
      Object.defineProperty(target, key, {
        value: decoded,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    else target[key] = decoded;
  }
  return target;
}

function deserializeJson(payload: string): unknown {
  const marker = payload.charCodeAt(0);
  if (marker === 106 /* j */) return JSON.parse(payload.slice(1));
  if (marker === 74 /* J */) return decodeTagged(JSON.parse(payload.slice(1)));
  throw new CdcCacheError('CDC_SERIALIZATION_FAILED', 'Cached payload has no cdc-cache JSON format marker', {
    details: { payload: payload.slice(0, 32) },
  });
}

/**
 * The default serializer: JSON that keeps `Date` and `BigInt` values intact. Values without either parse
 * with a plain `JSON.parse`, so the common case costs nothing extra on the hit path.
 *
 * @example
 * const payload = jsonSerializer.serialize({ id: 1n, at: new Date(0) })
 * jsonSerializer.deserialize(payload) // { id: 1n, at: 1970-01-01T00:00:00.000Z }
 */
export const jsonSerializer: Serializer = Object.freeze({
  serialize(value: unknown): string {
    try {
      return serializeJson(value);
    } catch (error) {
      throw new CdcCacheError(
        'CDC_SERIALIZATION_FAILED',
        `Cannot serialize value: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  },
  deserialize(payload: string): unknown {
    try {
      return deserializeJson(payload);
    } catch (error) {
      if (error instanceof CdcCacheError) throw error;
      throw new CdcCacheError(
        'CDC_SERIALIZATION_FAILED',
        `Cannot parse cached payload: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
  },
});
