import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { RecordOutcome } from '../core/apply-records';
import type { RuntimeName } from '../core/runtime-name';
import type { Keyspace } from '../keyspace';
import { METRIC_NAMES, OTHER_SOURCE, type RecordResult } from './metric-names';

/** Buckets of {@link METRIC_NAMES}`.batchDuration`, in seconds (1 ms to 10 s). */
export const BATCH_DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The metrics every worker runtime reports the same way (see {@link METRIC_NAMES}). */
export interface RecordMetrics {
  /** Count each record's outcome, under its first event's table (or `sourceOf(index)`). */
  countOutcomes(outcomes: readonly RecordOutcome[], sourceOf?: (index: number) => string | undefined): void;
  /** Count `count` records of one source and result. */
  count(source: string | undefined, result: RecordResult, count?: number): void;
  /** A batch took this long, from receipt to Redis acknowledging it. */
  observeBatch(seconds: number): void;
  /** The runtime waits to try again. */
  retry(reason: string): void;
  /** Whether the runtime is paused because Redis refuses its batches. */
  setRedisUnavailable(unavailable: boolean): void;
}

/** Options of {@link createRecordMetrics}. */
export interface RecordMetricsOptions {
  readonly runtime: RuntimeName;
  /** The tables a `source` label may name (any other is `other`): by default every table of `keyspace`. */
  readonly sources: Iterable<string>;
}

/**
 * Register the shared runtime metrics on `registry` for one runtime. The `source` label is bounded by the
 * keyspace: a table outside it (a topic pattern matching more than the keyspace reads) counts as `other`.
 *
 * @example
 * const metrics = createRecordMetrics(registry, { runtime: 'kafka-worker', sources: keyspaceTables(keyspace) })
 * metrics.countOutcomes(outcomes)
 */
export function createRecordMetrics(registry: Registry, options: RecordMetricsOptions): RecordMetrics {
  const registers = [registry];
  const { runtime } = options;
  const known = new Set(options.sources);
  const label = (table: string | undefined) =>
    table !== undefined && known.has(table) ? table : OTHER_SOURCE;
  const records = new Counter({
    name: METRIC_NAMES.records,
    help: 'Source records handled, by runtime, source table (or other) and result (applied, skipped, dead_lettered, failed)',
    labelNames: ['runtime', 'source', 'result'],
    registers,
  });
  const batchDuration = new Histogram({
    name: METRIC_NAMES.batchDuration,
    help: 'Time from receiving a batch to Redis acknowledging it (decode, plan, apply, dead letters)',
    labelNames: ['runtime'],
    buckets: BATCH_DURATION_BUCKETS,
    registers,
  });
  const retries = new Counter({
    name: METRIC_NAMES.retries,
    help: 'Waits before trying again, by reason (redis, kafka, postgres, throttled, ...)',
    labelNames: ['runtime', 'reason'],
    registers,
  });
  const redisUnavailable = new Gauge({
    name: METRIC_NAMES.redisUnavailable,
    help: '1 while the runtime is paused because Redis refuses its batches (outage, OOM, auth, ACL)',
    labelNames: ['runtime'],
    registers,
  });
  redisUnavailable.set({ runtime }, 0);
  const count = (source: string | undefined, result: RecordResult, value = 1) => {
    if (value > 0) records.inc({ runtime, source: label(source), result }, value);
  };
  return {
    countOutcomes(outcomes, sourceOf) {
      // Tallied first: a labelled inc costs about 0.1 µs, and a batch holds thousands of records. Records
      // come in runs of one table and result, so a run is counted with no per-record string or lookup.
      const tally = new Map<RecordResult, Map<string, number>>();
      let runResult: RecordResult | undefined;
      let runTable: string | undefined;
      let run = 0;
      const flush = () => {
        if (run === 0) return;
        const source = label(runTable);
        let bySource = tally.get(runResult!);
        if (!bySource) {
          bySource = new Map();
          tally.set(runResult!, bySource);
        }
        bySource.set(source, (bySource.get(source) ?? 0) + run);
      };
      for (let index = 0; index < outcomes.length; index++) {
        const outcome = outcomes[index]!;
        const table = sourceOf?.(index) ?? outcome.events[0]?.event.table;
        const result = outcome.status === 'poison' ? 'dead_lettered' : outcome.status;
        if (run > 0 && result === runResult && table === runTable) {
          run++;
          continue;
        }
        flush();
        runResult = result;
        runTable = table;
        run = 1;
      }
      flush();
      for (const [result, bySource] of tally) {
        for (const [source, value] of bySource) records.inc({ runtime, source, result }, value);
      }
    },
    count,
    observeBatch: (seconds) => batchDuration.observe({ runtime }, seconds),
    retry: (reason) => retries.inc({ runtime, reason }),
    setRedisUnavailable: (unavailable) => redisUnavailable.set({ runtime }, unavailable ? 1 : 0),
  };
}

/**
 * Every source table a keyspace reads (Debezium `<schema>.<table>`, DynamoDB table names).
 *
 * @example
 * keyspaceTables(keyspace) // ['public.users', 'Products']
 */
export function keyspaceTables(keyspace: Keyspace): string[] {
  const tables = new Set<string>();
  for (const entity of keyspace.entities.values())
    for (const source of entity.sources) tables.add(source.table);
  return [...tables];
}
