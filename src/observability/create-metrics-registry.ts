import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { Instrumentation } from './instrumentation';
import { createSeriesHistogram, type HistogramSeries } from './series-histogram';

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** The instrumentation hub the engine emits on. */
  readonly instrumentation: Instrumentation;
  /** Register into this registry instead of a new one. */
  readonly registry?: Registry;
  /** Metric name prefix. Default `cdc_cache_engine_` (runtimes keep `cdc_cache_<runtime>_` for their own). */
  readonly prefix?: string;
  /** Also collect the standard Node.js process metrics. Default: only when the registry is a new one. */
  readonly defaultMetrics?: boolean;
}

/** Buckets of the apply latency histogram, in seconds (1 ms to 10 s). */
export const APPLY_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];
/** Buckets of the lag histogram (commit at the source to applied in Redis), in seconds. */
export const LAG_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

/**
 * A prom-client registry fed by the engine's instrumentation: events in, skipped and failed; actions out by
 * kind; apply latency; lag (applied time minus commit time); Redis retries; images missing key columns.
 * Runtimes expose it on `/metrics`.
 *
 * @example
 * const instrumentation = createInstrumentation()
 * const registry = createMetricsRegistry({ instrumentation })
 * const engine = createInvalidationEngine({ keyspace, redis, instrumentation })
 * await startHealthServer({ port: 9464, isReady: () => true, registry })
 */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = options.registry ?? new Registry();
  const prefix = options.prefix ?? 'cdc_cache_engine_';
  const registers = [registry];
  if (options.defaultMetrics ?? options.registry === undefined) collectDefaultMetrics({ register: registry });

  const eventsIn = new Counter({
    name: `${prefix}events_total`,
    help: 'Change events received by the engine',
    labelNames: ['source'],
    registers,
  });
  const skipped = new Counter({
    name: `${prefix}events_skipped_total`,
    help: 'Change events with nothing to do (table outside the keyspace, no key values)',
    labelNames: ['source'],
    registers,
  });
  const failed = new Counter({
    name: `${prefix}events_failed_total`,
    help: 'Change events that failed for good (to be dead-lettered)',
    labelNames: ['source'],
    registers,
  });
  const actions = new Counter({
    name: `${prefix}actions_total`,
    help: 'Redis actions applied after coalescing, by kind',
    labelNames: ['action'],
    registers,
  });
  const applyDuration = new Histogram({
    name: `${prefix}apply_duration_seconds`,
    help: 'Time to plan and apply one batch',
    buckets: APPLY_DURATION_BUCKETS,
    registers,
  });
  // Observed once per event: a series histogram costs a bucket search where prom-client's would validate
  // and hash a labels object each time (same exposition).
  const lag = createSeriesHistogram({
    name: `${prefix}lag_seconds`,
    help: 'Commit at the source to applied in Redis, per event',
    labelName: 'source',
    buckets: LAG_BUCKETS,
    registers,
  });
  const retries = new Counter({
    name: `${prefix}redis_retries_total`,
    help: 'Redis calls retried after a retriable error',
    registers,
  });
  const unavailable = new Counter({
    name: `${prefix}redis_unavailable_total`,
    help: 'Batches that failed because Redis stayed unreachable after the retries',
    registers,
  });
  const incomplete = new Counter({
    name: `${prefix}incomplete_images_total`,
    help: "Row images lacking an entity's key columns (e.g. PostgreSQL without REPLICA IDENTITY FULL)",
    labelNames: ['entity'],
    registers,
  });

  const { instrumentation } = options;
  instrumentation.on('batch.applied', ({ events, outcomes, actions: counts, durationMs, appliedAt }) => {
    applyDuration.observe(durationMs / 1000);
    for (const [kind, count] of Object.entries(counts)) if (count > 0) actions.inc({ action: kind }, count);
    // Counted here, then added once per source: a labelled prom-client inc costs about 0.1 µs per call.
    const tally = new SourceTally();
    // Events come in runs of one source: a run is tallied, and finds its lag series, once.
    let runSource: string | undefined;
    let run = 0;
    let series: HistogramSeries | undefined;
    for (let index = 0; index < events.length; index++) {
      const event = events[index]!;
      const outcome = outcomes[index];
      if (event.source !== runSource) {
        if (run > 0) tally.add(tally.received, runSource!, run);
        runSource = event.source;
        run = 0;
        series = undefined;
      }
      run++;
      if (outcome?.status === 'skipped') tally.add(tally.skipped, event.source);
      else if (outcome?.status === 'failed') tally.add(tally.failed, event.source);
      else if (event.committedAt !== null) {
        series ??= lag.series(event.source);
        series.observe(Math.max(0, appliedAt - event.committedAt) / 1000);
      }
    }
    if (run > 0) tally.add(tally.received, runSource!, run);
    for (const [source, count] of tally.received) eventsIn.inc({ source }, count);
    for (const [source, count] of tally.skipped) skipped.inc({ source }, count);
    for (const [source, count] of tally.failed) failed.inc({ source }, count);
  });
  instrumentation.on('redis.retry', () => retries.inc());
  instrumentation.on('redis.unavailable', () => unavailable.inc());
  instrumentation.on('event.incomplete-image', ({ entities }) => {
    for (const entity of entities) incomplete.inc({ entity });
  });
  return registry;
}

/** Event counts of one batch by source (almost always a single one). */
class SourceTally {
  readonly received = new Map<string, number>();
  readonly skipped = new Map<string, number>();
  readonly failed = new Map<string, number>();

  add(counts: Map<string, number>, source: string, count = 1): void {
    counts.set(source, (counts.get(source) ?? 0) + count);
  }
}
