export {
  CONFIG_FILE_OPTION,
  type ConfigOption,
  type ConfigSchema,
  type ConfigSources,
  type ConfigValues,
  defineOption,
  formatConfigReference,
  formatHelp,
  type OptionSpec,
  parsers,
  type ResolvedConfig,
  redactConfig,
  resolveConfig,
} from './config-schema';
export { type HealthServer, type HealthServerOptions, startHealthServer } from './health-server';
export { DEFAULT_SHUTDOWN_TIMEOUT_MS, handleShutdownSignals, type ShutdownOptions } from './shutdown';
