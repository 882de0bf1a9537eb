export { type ConnectSchema, convertWithSchema } from './convert-with-schema';
export type { DebeziumPosition, DebeziumRecord } from './debezium-record';
export { type DebeziumSourcePosition, debeziumVersion } from './debezium-version';
export {
  type ColumnTypesOf,
  createDebeziumDecoder,
  type DebeziumDecoderOptions,
  type DebeziumValueContext,
  decodeDebeziumRecord,
  decodeDebeziumValue,
  keyspaceDecoderOptions,
} from './decode-debezium-record';
export { decodeSchemalessColumns } from './decode-schemaless-columns';
export { createJsonMessageDecoder, jsonMessageDecoder, type MessageDecoder } from './message-decoder';
export { parseJson } from './parse-json';
