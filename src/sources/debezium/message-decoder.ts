import type { ChangeEvent } from '../../core/change-event';
import type { DebeziumPosition, DebeziumRecord } from './debezium-record';
import {
  createDebeziumDecoder,
  type DebeziumDecoderOptions,
  decodeDebeziumRecord,
} from './decode-debezium-record';

/**
 * The port a Kafka runtime decodes through, so a format can be added without touching the runtime: JSON
 * today, Avro through a Confluent-compatible schema registry later (which needs to be async to fetch
 * schemas, hence the optional promise). Throws or rejects with `CDC_DECODE_FAILED` for a poison record.
 *
 * @example
 * const decoder: MessageDecoder = { name: 'json', decode: decodeDebeziumRecord }
 */
export interface MessageDecoder {
  /** A short name for logs and `--help`, e.g. `json`. */
  readonly name: string;
  /** Decode one record; zero events for records that change no row. */
  decode(
    record: DebeziumRecord,
  ): readonly ChangeEvent<DebeziumPosition>[] | Promise<readonly ChangeEvent<DebeziumPosition>[]>;
}

/**
 * The decoder for Debezium's JSON converter, with or without schemas.
 *
 * @example
 * jsonMessageDecoder.decode(record)
 */
export const jsonMessageDecoder: MessageDecoder = { name: 'json', decode: decodeDebeziumRecord };

/**
 * The JSON decoder building only the image columns `columns` selects (see {@link createDebeziumDecoder}):
 * what the Kafka worker uses, with the columns its keyspace reads.
 *
 * @example
 * const decoder = createJsonMessageDecoder({ columns: keyspaceColumns(keyspace) })
 */
export function createJsonMessageDecoder(options: DebeziumDecoderOptions): MessageDecoder {
  return { name: 'json', decode: createDebeziumDecoder(options) };
}
