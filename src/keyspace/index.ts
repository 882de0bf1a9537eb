export { canonicalKeyText } from './canonical-key-text';
export { COLUMN_TYPES, type ColumnType, type ColumnTypeName, parseColumnType } from './column-type';
export {
  type CompiledKeyRenderer,
  compileKeyRenderer,
  type KeyRenderer,
  type KeyRendererOptions,
} from './compile-key-renderer';
export { defineKeyspace } from './define-keyspace';
export { encodeKeyValue, KEY_SEPARATORS, type KeyValue } from './encode-key-value';
export {
  generationKey,
  generationMemoryKey,
  internalKey,
  isInternalKey,
  newGeneration,
  RESERVED_KEY_SEGMENT,
  tagKey,
  tagSetTtlMs,
  versionKey,
} from './internal-keys';
export {
  type KeyTemplate,
  missingPlaceholders,
  type PlaceholderNames,
  parseKeyTemplate,
  renderKeyTemplate,
} from './key-template';
export { keyspaceColumnTypes } from './keyspace-column-types';
export { keyspaceColumns } from './keyspace-columns';
export {
  bindingId,
  entityKey,
  entryKey,
  getEntity,
  indexBindings,
  type SourceBinding,
} from './keyspace-lookup';
export type {
  EntityDefinition,
  EntityDefinitions,
  EntityMode,
  EntitySpec,
  KeyParams,
  Keyspace,
  KeyspaceOptions,
  SourceDefinition,
  SourceSpec,
} from './keyspace-types';
export { isKeyspaceModule, keyspaceFromData, loadKeyspace } from './load-keyspace';
export { type Duration, parseDuration } from './parse-duration';
export {
  laterTransactionId,
  type PostgresSnapshot,
  parsePostgresSnapshot,
  postgresTransactionId,
  transactionsFinished,
} from './postgres-snapshot';
export {
  type BinlogPosition,
  binlogVersion,
  dynamodbVersion,
  type PostgresSnapshotPosition,
  postgresVersion,
  type ReadPoint,
  type ReadPosition,
  readPoint,
  readPositionVersion,
} from './source-version';
