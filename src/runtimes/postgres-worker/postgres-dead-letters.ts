import { createDeadLetter } from '../../core/dead-letter';
import { internalKey } from '../../keyspace';
import {
  createRedisDeadLetterStream,
  type RedisDeadLetterStreamOptions,
} from '../shared/redis-dead-letter-stream';
import type { PostgresDeadLetterSink } from './create-postgres-worker';

/** Options of {@link createPostgresDeadLetters}. */
export interface PostgresDeadLettersOptions extends Omit<RedisDeadLetterStreamOptions, 'key'> {
  readonly prefix: string;
  readonly slot: string;
}

/**
 * Dead letters of the PostgreSQL worker, in the bounded Redis stream
 * `internalKey(prefix, 'dlq', 'postgres', slot)`: one entry per change that could not be decoded or planned,
 * with the dead letter's fields (`slot`, `lsn`, `table`, `error.code`, `error.message`, `failed-at`,
 * `runtime`) and the event as JSON (`event`). Logical replication has no dead-letter destination of its
 * own. See {@link createRedisDeadLetterStream}.
 *
 * @example
 * const deadLetters = createPostgresDeadLetters({ redis, prefix: '', slot: 'cdc_cache' })
 */
export function createPostgresDeadLetters(options: PostgresDeadLettersOptions): PostgresDeadLetterSink {
  const write = createRedisDeadLetterStream({
    ...options,
    key: internalKey(options.prefix, 'dlq', 'postgres', options.slot),
  });
  return (letters) =>
    write(
      letters.map(({ lsn, table, event, error }) => ({
        letter: createDeadLetter(error, 'postgres-worker', { slot: options.slot, lsn, table }),
        payload: [['event', JSON.stringify(event)]],
      })),
    );
}
