export { type ConnectSchema, convertWithSchema } from './convert-with-schema';
export type { DebeziumPosition, DebeziumRecord } from './debezium-record';
export { type DebeziumSourcePosition, debeziumVersion } from './debezium-version';
export {
  type DebeziumValueContext,
  decodeDebeziumRecord,
  decodeDebeziumValue,
} from './decode-debezium-record';
export { jsonMessageDecoder, type MessageDecoder } from './message-decoder';
export { parseJson } from './parse-json';
