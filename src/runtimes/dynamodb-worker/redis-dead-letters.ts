import { CdcCacheError } from '../../errors';
import { internalKey } from '../../keyspace';
import type { RedisClient } from '../../redis/create-redis-client';
import type { StreamDeadLetterSink } from './create-dynamodb-worker';

/** Options of {@link createRedisDeadLetters}. */
export interface RedisDeadLettersOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly table: string;
  /** Approximate length the stream is trimmed to. Default 10,000. */
  readonly maxLength?: number;
}

/**
 * Dead letters of the DynamoDB poller, in a Redis stream `internalKey(prefix, 'dlq', table)`: one entry per
 * poison record with the error and the whole record as JSON. DynamoDB Streams has no dead-letter topic of
 * its own, and the worker already depends on Redis; read them with `XRANGE <key> - +`.
 *
 * @example
 * const deadLetters = createRedisDeadLetters({ redis, prefix: '', table: 'Products' })
 */
export function createRedisDeadLetters(options: RedisDeadLettersOptions): StreamDeadLetterSink {
  const key = internalKey(options.prefix, 'dlq', options.table);
  const maxLength = options.maxLength ?? 10_000;
  return async (letters) => {
    try {
      await Promise.all(
        letters.map(({ shardId, record, error }) =>
          options.redis.xadd(
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
          ),
        ),
      );
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
