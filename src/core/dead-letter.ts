import type { RuntimeName } from './runtime-name';

/**
 * The fields every dead letter carries, whatever the runtime and destination: a Kafka dead letter has them
 * as `cdc-cache.dlq.<field>` headers, a Redis-stream dead letter as stream fields of these names. Next to
 * them: the record's coordinates in its source (see {@link DeadLetter.source}).
 */
export const DEAD_LETTER_FIELDS = Object.freeze({
  /** The error code (`CDC_DECODE_FAILED`, `CDC_PLAN_FAILED`, ...). */
  errorCode: 'error.code',
  /** What is wrong, at most {@link MAX_DEAD_LETTER_MESSAGE_LENGTH} characters. */
  errorMessage: 'error.message',
  /** When it was dead-lettered, in ms since the epoch. */
  failedAt: 'failed-at',
  /** Which runtime dead-lettered it (`kafka-worker`, `kafka-lambda`, ...). */
  runtime: 'runtime',
});

/** Longest error message kept in a dead letter. */
export const MAX_DEAD_LETTER_MESSAGE_LENGTH = 4_000;

/** Why, when and by whom a record was dead-lettered, and where it is in its source. */
export interface DeadLetter {
  /**
   * Where the record is in its source, by field name: Kafka `topic`, `partition`, `offset`, `timestamp`;
   * DynamoDB Streams `table`, `shardId` (the poller), `sequenceNumber`; PostgreSQL `slot`, `lsn`, `table`.
   */
  readonly source: Readonly<Record<string, string>>;
  readonly code: string;
  readonly message: string;
  readonly failedAt: number;
  readonly runtime: RuntimeName;
}

/**
 * The dead letter of a record that failed with `error` (its message cut to
 * {@link MAX_DEAD_LETTER_MESSAGE_LENGTH} characters).
 *
 * @example
 * createDeadLetter({ code: 'CDC_DECODE_FAILED', message: 'not JSON' }, 'kafka-worker', { topic: 't', partition: '0', offset: '7' })
 */
export function createDeadLetter(
  error: { readonly code: string; readonly message: string },
  runtime: RuntimeName,
  source: Readonly<Record<string, string>>,
  failedAt: number = Date.now(),
): DeadLetter {
  return {
    source,
    code: error.code,
    message: error.message.slice(0, MAX_DEAD_LETTER_MESSAGE_LENGTH),
    failedAt,
    runtime,
  };
}

/**
 * The dead letter as ordered name/value pairs: the source coordinates, then {@link DEAD_LETTER_FIELDS}. Every
 * destination writes exactly these (with its own prefix), so the shape is defined here only.
 *
 * @example
 * deadLetterFields(letter) // [['topic', 't'], ['partition', '0'], ['offset', '7'], ['error.code', 'CDC_DECODE_FAILED'], ...]
 */
export function deadLetterFields(letter: DeadLetter): [name: string, value: string][] {
  return [
    ...Object.entries(letter.source),
    [DEAD_LETTER_FIELDS.errorCode, letter.code],
    [DEAD_LETTER_FIELDS.errorMessage, letter.message],
    [DEAD_LETTER_FIELDS.failedAt, String(letter.failedAt)],
    [DEAD_LETTER_FIELDS.runtime, letter.runtime],
  ];
}
