import type { ConsumedBatch, ConsumedMessage, ProducedMessage } from '../../sources/kafka';

/** The headers cdc-cache adds to a dead letter, next to the original record's own headers. */
export const DEAD_LETTER_HEADERS = {
  topic: 'cdc-cache.dlq.topic',
  partition: 'cdc-cache.dlq.partition',
  offset: 'cdc-cache.dlq.offset',
  timestamp: 'cdc-cache.dlq.timestamp',
  errorCode: 'cdc-cache.dlq.error.code',
  errorMessage: 'cdc-cache.dlq.error.message',
  failedAt: 'cdc-cache.dlq.failed-at',
} as const;

const MAX_MESSAGE_LENGTH = 4_000;

/**
 * The dead letter of a poison record: its original key, value and headers, plus where it came from and
 * why it failed as `cdc-cache.dlq.*` headers, so it can be inspected and replayed.
 *
 * @example
 * deadLetterMessage(batch, message, { code: 'CDC_DECODE_FAILED', message: 'the value is not JSON' })
 */
export function deadLetterMessage(
  batch: Pick<ConsumedBatch, 'topic' | 'partition'>,
  message: ConsumedMessage,
  error: { readonly code: string; readonly message: string },
  failedAt: number = Date.now(),
): ProducedMessage {
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...(message.headers as Record<string, Buffer | string | readonly (Buffer | string)[]> | undefined),
      [DEAD_LETTER_HEADERS.topic]: batch.topic,
      [DEAD_LETTER_HEADERS.partition]: String(batch.partition),
      [DEAD_LETTER_HEADERS.offset]: message.offset,
      [DEAD_LETTER_HEADERS.timestamp]: message.timestamp,
      [DEAD_LETTER_HEADERS.errorCode]: error.code,
      [DEAD_LETTER_HEADERS.errorMessage]: error.message.slice(0, MAX_MESSAGE_LENGTH),
      [DEAD_LETTER_HEADERS.failedAt]: String(failedAt),
    },
  };
}
