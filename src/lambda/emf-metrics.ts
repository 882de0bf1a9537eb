import { redisFault } from '../core/retry';
import { CdcCacheError } from '../errors';
import { METRIC_NAMES, type RecordResult } from '../observability/metric-names';

/** A CloudWatch unit for an EMF metric. */
export type EmfUnit = 'Count' | 'Seconds' | 'Milliseconds' | 'None';

/** Options of {@link createEmfMetrics}. */
export interface EmfMetricsOptions {
  /** CloudWatch namespace. Default `cdc-cache`. */
  namespace?: string;
  /** Dimensions of every metric, e.g. `{ runtime: 'dynamodb-lambda' }`. */
  dimensions?: Record<string, string>;
  /** Where a finished EMF JSON line goes. Default: stdout, which Lambda ships to CloudWatch Logs. */
  write?: (line: string) => void;
}

/** Metrics of one invocation, flushed as Embedded Metric Format log lines (one per set of dimensions). */
export interface EmfMetrics {
  /** Add to a counter, under these dimensions besides the common ones. */
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  /** Record a duration in seconds (the last value wins within one flush). */
  seconds(name: string, value: number, dimensions?: Record<string, string>): void;
  /** Write the EMF lines (nothing when no metric was recorded) and start afresh. */
  flush(properties?: Record<string, unknown>): void;
}

/** The defaults of {@link createEmfMetrics}. */
export const EMF_DEFAULTS = { namespace: 'cdc-cache' } as const;

/**
 * CloudWatch Embedded Metric Format without a dependency: metrics are collected during an invocation and
 * written as JSON log lines, which CloudWatch turns into metrics (no PutMetricData call, no latency). Names
 * and dimensions are those of the workers' Prometheus metrics (`cdc_cache_records_total` with `runtime` and
 * `result`, ...: docs/metrics.md).
 *
 * @example
 * const metrics = createEmfMetrics({ dimensions: { runtime: 'dynamodb-lambda' } })
 * metrics.count('cdc_cache_records_total', 100, { result: 'applied' }); metrics.flush()
 */
export function createEmfMetrics(options: EmfMetricsOptions = {}): EmfMetrics {
  const namespace = options.namespace ?? EMF_DEFAULTS.namespace;
  const common = options.dimensions ?? {};
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  /** Dimension set (as JSON) -> metric name -> value. */
  let groups = new Map<string, Map<string, { unit: EmfUnit; value: number }>>();
  const values = (dimensions: Record<string, string> = {}) => {
    const key = JSON.stringify({ ...common, ...dimensions });
    let group = groups.get(key);
    if (!group) {
      group = new Map();
      groups.set(key, group);
    }
    return group;
  };
  return {
    count(name, value = 1, dimensions) {
      const group = values(dimensions);
      group.set(name, { unit: 'Count', value: (group.get(name)?.value ?? 0) + value });
    },
    seconds(name, value, dimensions) {
      values(dimensions).set(name, { unit: 'Seconds', value });
    },
    flush(properties = {}) {
      const timestamp = Date.now();
      for (const [key, group] of groups) {
        const dimensions = JSON.parse(key) as Record<string, string>;
        const line: Record<string, unknown> = {
          ...properties,
          ...dimensions,
          _aws: {
            Timestamp: timestamp,
            CloudWatchMetrics: [
              {
                Namespace: namespace,
                Dimensions: [Object.keys(dimensions)],
                Metrics: [...group].map(([name, { unit }]) => ({ Name: name, Unit: unit })),
              },
            ],
          },
        };
        for (const [name, { value }] of group) line[name] = value;
        write(JSON.stringify(line));
      }
      groups = new Map();
    },
  };
}

/**
 * Count records by result as `cdc_cache_records_total{result}`, the workers' name (results counted 0 are left
 * out). No `source` dimension: each value of a CloudWatch dimension is a metric billed on its own.
 *
 * @example
 * countRecords(metrics, { applied: 98, dead_lettered: 2 })
 */
export function countRecords(metrics: EmfMetrics, counts: Partial<Record<RecordResult, number>>): void {
  for (const [result, count] of Object.entries(counts)) {
    if (count > 0) metrics.count(METRIC_NAMES.records, count, { result });
  }
}

/**
 * The `reason` of a failed invocation in `cdc_cache_retries_total` (Lambda retries the batch): `redis`,
 * `config` (a stream view type that cannot serve the keyspace) or `error`.
 *
 * @example
 * metrics.count(METRIC_NAMES.retries, 1, { reason: retryReason(error) })
 */
export function retryReason(error: unknown): 'redis' | 'config' | 'error' {
  if (redisFault(error) || (error instanceof CdcCacheError && error.code === 'CDC_REDIS_UNAVAILABLE'))
    return 'redis';
  return error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID' ? 'config' : 'error';
}
