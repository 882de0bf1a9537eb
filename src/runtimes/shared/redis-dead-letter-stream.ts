import { type DeadLetter, deadLetterFields } from '../../core/dead-letter';
import { CdcCacheError } from '../../errors';
import type { RedisReply } from '../../redis/redis-port';
import { type AnyRedisClient, toRedisPort } from '../../redis/to-redis-port';

/** Bounds of a dead-letter stream in Redis; see {@link createRedisDeadLetterStream}. */
export const REDIS_DEAD_LETTER_DEFAULTS = Object.freeze({
  /** Entries kept (approximately): at DynamoDB's 400 KB item limit, at most about 800 MB with both images. */
  maxLength: 1_000,
  /** How long an entry is kept, and how long the stream outlives its last entry: 7 days. */
  retentionMs: 7 * 24 * 3_600_000,
});

/** Options of {@link createRedisDeadLetterStream}. */
export interface RedisDeadLetterStreamOptions {
  /** A node-redis, ioredis or GLIDE client, or a port; never closed by the stream. */
  readonly redis: AnyRedisClient;
  /** The stream's key (an internal key: the read services' Redis user cannot read it). */
  readonly key: string;
  /** Approximate number of entries the stream is trimmed to. Default {@link REDIS_DEAD_LETTER_DEFAULTS}. */
  readonly maxLength?: number;
  /** Entries older than this are trimmed, and the stream expires this long after its last entry. */
  readonly retentionMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/** One stream entry: the dead letter's fields, then the record itself under a name of the runtime's choosing. */
export interface RedisDeadLetterEntry {
  readonly letter: DeadLetter;
  readonly payload: readonly (readonly [name: string, value: string])[];
}

/** Appends dead letters; throws a retriable error when Redis fails. */
export type RedisDeadLetterWriter = (entries: readonly RedisDeadLetterEntry[]) => Promise<void>;

/**
 * The one bounded dead-letter stream of the runtimes that have no dead-letter destination of their own (the
 * DynamoDB poller, the PostgreSQL worker). The entries hold row data, in the cache's Redis: the stream is
 * bounded by length (`MAXLEN ~`) and age (`MINID ~`, and an expiry renewed on each write). Read it with
 * `XRANGE <key> - +`. Each entry holds the fields of `deadLetterFields` (as a Kafka dead letter's headers do),
 * then the payload.
 *
 * @example
 * const write = createRedisDeadLetterStream({ redis, key: internalKey('', 'dlq', 'Products') })
 * await write([{ letter: createDeadLetter(error, 'dynamodb-worker', { table: 'Products' }), payload: [['record', '{}']] }])
 */
export function createRedisDeadLetterStream(options: RedisDeadLetterStreamOptions): RedisDeadLetterWriter {
  const { key } = options;
  const maxLength = options.maxLength ?? REDIS_DEAD_LETTER_DEFAULTS.maxLength;
  const retentionMs = options.retentionMs ?? REDIS_DEAD_LETTER_DEFAULTS.retentionMs;
  const now = options.now ?? Date.now;
  for (const [name, value] of [
    ['maxLength', maxLength],
    ['retentionMs', retentionMs],
  ] as const) {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new CdcCacheError(
        'CDC_INVALID_OPTION',
        `${name}: must be a positive integer, got ${String(value)}`,
      );
    }
  }
  const redis = toRedisPort(options.redis);
  return async (entries) => {
    // One key, so one node and one round trip; not atomic, and need not be: a trim or expiry that fails
    // with the writes fails the call, which is retried.
    const replies: (RedisReply | Error)[] = await redis
      .batch([
        ...entries.map(({ letter, payload }) => [
          'XADD',
          key,
          'MAXLEN',
          '~',
          maxLength,
          '*',
          ...[...deadLetterFields(letter), ...payload].flat(),
        ]),
        // Stream ids start with their time in ms: MINID drops entries older than the retention.
        ['XTRIM', key, 'MINID', '~', Math.max(0, now() - retentionMs)],
        ['PEXPIRE', key, retentionMs],
      ])
      .catch((error: unknown) => [error as Error]);
    const failed = replies.find((reply): reply is Error => reply instanceof Error);
    if (failed) {
      throw new CdcCacheError(
        'CDC_REDIS_UNAVAILABLE',
        `cannot write dead letters to ${key}: ${failed.message}`,
        {
          cause: failed,
          retriable: true,
        },
      );
    }
  };
}
