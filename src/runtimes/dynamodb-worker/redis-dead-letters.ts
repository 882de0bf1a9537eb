import { CdcCacheError } from '../../errors';
import { internalKey } from '../../keyspace';
import type { RedisClient } from '../../redis/create-redis-client';
import type { StreamDeadLetterSink } from './create-dynamodb-worker';

/** Bounds of the dead-letter stream; see {@link createRedisDeadLetters}. */
export const REDIS_DEAD_LETTER_DEFAULTS = Object.freeze({
  /** Entries kept (approximately): at DynamoDB's 400 KB item limit, at most about 800 MB with both images. */
  maxLength: 1_000,
  /** How long an entry is kept, and how long the stream outlives its last entry: 7 days. */
  retentionMs: 7 * 24 * 3_600_000,
});

/** Options of {@link createRedisDeadLetters}. */
export interface RedisDeadLettersOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly table: string;
  /** Approximate number of entries the stream is trimmed to. Default {@link REDIS_DEAD_LETTER_DEFAULTS}. */
  readonly maxLength?: number;
  /** Entries older than this are trimmed, and the stream expires this long after its last entry. */
  readonly retentionMs?: number;
  /** The clock, for tests. */
  readonly now?: () => number;
}

/**
 * Dead letters of the DynamoDB poller, in a Redis stream `internalKey(prefix, 'dlq', table)`: one entry per
 * poison record with the error and the whole record as JSON. DynamoDB Streams has no dead-letter topic of
 * its own, and the worker already depends on Redis; read them with `XRANGE <key> - +`.
 *
 * The entries hold row data (both images), in the cache's Redis: the stream is bounded by length
 * (`MAXLEN ~`) and age (`MINID ~`, and an expiry renewed on each write), and the read services' Redis user
 * cannot read it (see docs/infra.md).
 *
 * @example
 * const deadLetters = createRedisDeadLetters({ redis, prefix: '', table: 'Products', maxLength: 1_000 })
 */
export function createRedisDeadLetters(options: RedisDeadLettersOptions): StreamDeadLetterSink {
  const key = internalKey(options.prefix, 'dlq', options.table);
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
  return async (letters) => {
    const transaction = options.redis.multi();
    for (const { shardId, record, error } of letters) {
      transaction.xadd(
        key,
        'MAXLEN',
        '~',
        maxLength,
        '*',
        'table',
        options.table,
        'shardId',
        shardId,
        'sequenceNumber',
        record?.dynamodb?.SequenceNumber ?? '',
        'code',
        error.code,
        'error',
        error.message,
        'record',
        JSON.stringify(record),
      );
    }
    // Stream ids start with their time in ms: MINID drops entries older than the retention.
    transaction.xtrim(key, 'MINID', '~', Math.max(0, now() - retentionMs));
    transaction.pexpire(key, retentionMs);
    try {
      const results = await transaction.exec();
      const failed = results?.find(([failure]) => failure !== null)?.[0];
      if (!results || failed) throw failed ?? new Error('the transaction was discarded');
    } catch (error) {
      throw new CdcCacheError(
        'CDC_REDIS_UNAVAILABLE',
        `cannot write dead letters to ${key}: ${(error as Error).message}`,
        {
          cause: error,
          retriable: true,
        },
      );
    }
  };
}
