/** A CloudWatch unit for an EMF metric. */
export type EmfUnit = 'Count' | 'Milliseconds' | 'None';

/** Options of {@link createEmfMetrics}. */
export interface EmfMetricsOptions {
  /** CloudWatch namespace. Default `cdc-cache`. */
  namespace?: string;
  /** Dimension name -> value, e.g. `{ FunctionName: 'cdc-cache', Source: 'dynamodb' }`. */
  dimensions?: Record<string, string>;
  /** Where a finished EMF JSON line goes. Default: stdout, which Lambda ships to CloudWatch Logs. */
  write?: (line: string) => void;
}

/** Metrics of one invocation, flushed as one Embedded Metric Format log line. */
export interface EmfMetrics {
  /** Add to a counter. */
  count(name: string, value?: number): void;
  /** Record a duration in milliseconds (the last value wins within one flush). */
  timing(name: string, ms: number): void;
  /** Write the EMF line (nothing when no metric was recorded) and start afresh. */
  flush(properties?: Record<string, unknown>): void;
}

/** The defaults of {@link createEmfMetrics}. */
export const EMF_DEFAULTS = { namespace: 'cdc-cache' } as const;

/**
 * CloudWatch Embedded Metric Format without a dependency: metrics are collected during an invocation and
 * written as one JSON log line, which CloudWatch turns into metrics (no PutMetricData call, no latency).
 *
 * @example
 * const metrics = createEmfMetrics({ dimensions: { Source: 'dynamodb' } })
 * metrics.count('RecordsProcessed', 100); metrics.flush()
 */
export function createEmfMetrics(options: EmfMetricsOptions = {}): EmfMetrics {
  const namespace = options.namespace ?? EMF_DEFAULTS.namespace;
  const dimensions = options.dimensions ?? {};
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  let values = new Map<string, { unit: EmfUnit; value: number }>();
  return {
    count(name, value = 1) {
      const current = values.get(name);
      values.set(name, { unit: 'Count', value: (current?.value ?? 0) + value });
    },
    timing(name, ms) {
      values.set(name, { unit: 'Milliseconds', value: ms });
    },
    flush(properties = {}) {
      if (values.size === 0) return;
      const metrics = [...values].map(([name, { unit }]) => ({ Name: name, Unit: unit }));
      const line: Record<string, unknown> = {
        ...properties,
        ...dimensions,
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            { Namespace: namespace, Dimensions: [Object.keys(dimensions)], Metrics: metrics },
          ],
        },
      };
      for (const [name, { value }] of values) line[name] = value;
      values = new Map();
      write(JSON.stringify(line));
    },
  };
}
