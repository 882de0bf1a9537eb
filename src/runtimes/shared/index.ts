export { formatConfigReference, formatHelp, formatOptionCatalog, optionType } from './config-docs';
export {
  CONFIG_FILE_OPTION,
  type ConfigOption,
  type ConfigSchema,
  type ConfigSources,
  type ConfigValues,
  defineOption,
  type OptionSource,
  type OptionSpec,
  optionalIn,
  parsers,
  type ResolvedConfig,
  redactConfig,
  requiredIn,
  resolveConfig,
  typed,
  withDefault,
} from './config-schema';
export { type HealthServer, type HealthServerOptions, startHealthServer } from './health-server';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, handleShutdownSignals, type ShutdownOptions } from './shutdown';
