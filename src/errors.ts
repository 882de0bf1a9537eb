/** Every error code cdc-cache raises. One list, so callers can switch on `error.code`. */
export const ERROR_CODES = [
  'CDC_INVALID_OPTION',
  'CDC_INVALID_KEYSPACE',
  'CDC_INVALID_KEY_PARAMS',
  'CDC_DECODE_FAILED',
  'CDC_PLAN_FAILED',
  'CDC_REDIS_UNAVAILABLE',
  'CDC_REDIS_SCRIPT_FAILED',
  'CDC_LOADER_TIMEOUT',
  'CDC_LOADER_FAILED',
  'CDC_SERIALIZATION_FAILED',
  'CDC_SOURCE_UNAVAILABLE',
  'CDC_CONFIG_INVALID',
] as const;

/** A cdc-cache error code. */
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Options accepted by {@link CdcCacheError}. */
export interface CdcCacheErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Whether retrying the same operation later may succeed (a Redis outage is; a malformed record is not). */
  retriable?: boolean;
  /** Structured context for logs and dead letters (field names, topic, offset, ...). */
  details?: Record<string, unknown>;
}

/**
 * The one error base of cdc-cache: a stable `code`, the `cause`, and whether it is retriable.
 *
 * @example
 * try { await engine.apply(events) } catch (error) {
 *   if (error instanceof CdcCacheError && error.retriable) backOffAndRetry()
 * }
 */
export class CdcCacheError extends Error {
  /** Stable machine-readable code. */
  readonly code: ErrorCode;
  /** True when the same operation may succeed later. */
  readonly retriable: boolean;
  /** Structured context. */
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: CdcCacheErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CdcCacheError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.details = options.details ?? {};
  }
}

/** True when `error` is a {@link CdcCacheError} that may succeed on retry. */
export function isRetriableError(error: unknown): boolean {
  return error instanceof CdcCacheError && error.retriable;
}

/** Longest excerpt of a message-derived value {@link excerpt} puts in an error message. */
export const EXCERPT_LENGTH = 80;

/**
 * A value from a change stream cut to {@link EXCERPT_LENGTH} characters, for an error message: a 1 MB
 * field must not become a 1 MB error (errors reach logs and dead letters), and enough is kept to
 * recognise it.
 *
 * @example
 * excerpt('x'.repeat(1_000_000)) // 'xxxx…(1000000 characters)'
 */
export function excerpt(value: unknown, max: number = EXCERPT_LENGTH): string {
  const text = typeof value === 'string' ? value : String(value);
  return text.length <= max ? text : `${text.slice(0, max)}…(${text.length} characters)`;
}
