export { attachLogger } from './attach-logger';
export { createLogger, type LoggerFactoryOptions, MAX_LOGGED_STRING, REDACT_PATHS } from './create-logger';
export {
  APPLY_DURATION_BUCKETS,
  createMetricsRegistry,
  LAG_BUCKETS,
  type MetricsRegistryOptions,
} from './create-metrics-registry';
export {
  createInstrumentation,
  type Instrumentation,
  type InstrumentationEventName,
  type InstrumentationEvents,
  type InstrumentationListener,
} from './instrumentation';
export { maskUrlCredentials } from './mask-url-credentials';
