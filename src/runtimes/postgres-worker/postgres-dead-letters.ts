import { CdcCacheError } from '../../errors';
import { internalKey } from '../../keyspace';
import type { RedisClient } from '../../redis/create-redis-client';
import type { PostgresDeadLetterSink } from './create-postgres-worker';

/** Options of {@link createPostgresDeadLetters}. */
export interface PostgresDeadLettersOptions {
  readonly redis: RedisClient;
  readonly prefix: string;
  readonly slot: string;
  /** Approximate length the stream is trimmed to. Default 10,000. */
  readonly maxLength?: number;
}

/**
 * Dead letters of the PostgreSQL worker, in the Redis stream `internalKey(prefix, 'dlq', 'postgres', slot)`:
 * one entry per change that could not be decoded or planned, with its LSN, table, error and event as JSON.
 * Logical replication has no dead-letter destination of its own; read them with `XRANGE <key> - +`.
 *
 * @example
 * const deadLetters = createPostgresDeadLetters({ redis, prefix: '', slot: 'cdc_cache' })
 */
export function createPostgresDeadLetters(options: PostgresDeadLettersOptions): PostgresDeadLetterSink {
  const key = internalKey(options.prefix, 'dlq', 'postgres', options.slot);
  const maxLength = options.maxLength ?? 10_000;
  return async (letters) => {
    try {
      const pipeline = options.redis.pipeline();
      for (const { lsn, table, event, error } of letters) {
        pipeline.xadd(
          key,
          'MAXLEN',
          '~',
          maxLength,
          '*',
          'slot',
          options.slot,
          'lsn',
          lsn,
          'table',
          table,
          'code',
          error.code,
          'error',
          error.message,
          'event',
          JSON.stringify(event),
        );
      }
      const results = (await pipeline.exec()) ?? [];
      const failed = results.find(([error]) => error);
      if (failed) throw failed[0];
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
