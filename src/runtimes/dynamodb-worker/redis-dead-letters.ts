import { createDeadLetter } from '../../core/dead-letter';
import { internalKey } from '../../keyspace';
import {
  createRedisDeadLetterStream,
  REDIS_DEAD_LETTER_DEFAULTS,
  type RedisDeadLetterStreamOptions,
} from '../shared/redis-dead-letter-stream';
import type { StreamDeadLetterSink } from './create-dynamodb-worker';

export { REDIS_DEAD_LETTER_DEFAULTS };

/** Options of {@link createRedisDeadLetters}. */
export interface RedisDeadLettersOptions extends Omit<RedisDeadLetterStreamOptions, 'key'> {
  readonly prefix: string;
  readonly table: string;
}

/**
 * Dead letters of the DynamoDB poller, in the bounded Redis stream `internalKey(prefix, 'dlq', table)`: one
 * entry per poison record with the dead letter's fields (`table`, `shardId`, `sequenceNumber`, `error.code`,
 * `error.message`, `failed-at`, `runtime`) and the whole record as JSON (`record`). DynamoDB Streams has no dead-letter
 * topic of its own, and the worker already depends on Redis. See {@link createRedisDeadLetterStream}.
 *
 * @example
 * const deadLetters = createRedisDeadLetters({ redis, prefix: '', table: 'Products', maxLength: 1_000 })
 */
export function createRedisDeadLetters(options: RedisDeadLettersOptions): StreamDeadLetterSink {
  const write = createRedisDeadLetterStream({
    ...options,
    key: internalKey(options.prefix, 'dlq', options.table),
  });
  return (letters) =>
    write(
      letters.map(({ shardId, record, error }) => ({
        letter: createDeadLetter(error, 'dynamodb-worker', {
          table: options.table,
          shardId,
          sequenceNumber: record?.dynamodb?.SequenceNumber ?? '',
        }),
        payload: [['record', JSON.stringify(record)]],
      })),
    );
}
