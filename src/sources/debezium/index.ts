export { type ConnectSchema, convertWithSchema } from './convert-with-schema';
export type { DebeziumPosition, DebeziumRecord } from './debezium-record';
export { type DebeziumSourcePosition, debeziumVersion } from './debezium-version';
export {
  createDebeziumDecoder,
  type DebeziumDecoderOptions,
  type DebeziumValueContext,
  decodeDebeziumRecord,
  decodeDebeziumValue,
} from './decode-debezium-record';
export { createJsonMessageDecoder, jsonMessageDecoder, type MessageDecoder } from './message-decoder';
export { parseJson } from './parse-json';
