export { defineKeyspace } from './define-keyspace';
export { encodeKeyValue, KEY_SEPARATORS, type KeyValue } from './encode-key-value';
export { generationKey, internalKey, RESERVED_KEY_SEGMENT, tagKey } from './internal-keys';
export { type KeyTemplate, type PlaceholderNames, parseKeyTemplate, renderKeyTemplate } from './key-template';
export { keyspaceColumns } from './keyspace-columns';
export {
  bindingId,
  entryKey,
  getEntity,
  indexBindings,
  paramsFromRow,
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
