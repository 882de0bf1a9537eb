import { collectDefaultMetrics, Registry } from 'prom-client';
import { createInstrumentation, createMetricsRegistry, type Instrumentation } from '../../observability';

/** What {@link createRuntimeMetrics} returns. */
export interface RuntimeMetrics {
  /** The registry `/metrics` serves; a runtime adds its own metrics to it. */
  readonly registry: Registry;
  /** Give it to the engine: its events feed the engine's metrics in `registry`. */
  readonly instrumentation: Instrumentation;
}

/**
 * The metrics every worker runtime serves: Node.js process metrics and the engine's own (events, actions,
 * apply latency, lag), on one registry.
 *
 * @example
 * const { registry, instrumentation } = createRuntimeMetrics()
 * const engine = createInvalidationEngine({ keyspace, redis, instrumentation })
 */
export function createRuntimeMetrics(): RuntimeMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const instrumentation = createInstrumentation();
  createMetricsRegistry({ instrumentation, registry, defaultMetrics: false });
  return { registry, instrumentation };
}
