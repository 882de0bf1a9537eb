import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AuditEvent, AuditStats } from './create-auditor';

/** Buckets of how long a change stayed inconsistent, in seconds. */
export const INCONSISTENT_SECONDS_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/**
 * Publish an auditor's outcomes as Prometheus metrics on `registry`; pass the returned function as the
 * auditor's `onEvent`. `stats` feeds the gauges when scraped.
 *
 * @example
 * const metrics = registerAuditMetrics(registry, () => auditor.stats())
 * const auditor = createAuditor({ keyspace, redis, onEvent: (event) => metrics(event) })
 */
export function registerAuditMetrics(
  registry: Registry,
  stats: () => AuditStats,
): (event: AuditEvent) => void {
  const registers = [registry];
  const admitted = new Counter({
    name: 'cdc_cache_audit_changes_total',
    help: 'Changes admitted for checks (planned, sampled, and with room in the queue)',
    registers,
  });
  const checks = new Counter({
    name: 'cdc_cache_audit_checks_total',
    help: 'Changes checked, by delay after their commit and result (consistent, inconsistent)',
    labelNames: ['delay', 'result'],
    registers,
  });
  const skipped = new Counter({
    name: 'cdc_cache_audit_skipped_total',
    help: 'Changes not audited: not-planned (outside the keyspace), unverifiable (only tags, or a truncate of unknown version), sampled-out, queue-full',
    labelNames: ['reason'],
    registers,
  });
  const late = new Counter({
    name: 'cdc_cache_audit_late_total',
    help: 'Changes that reached the auditor after a delay had passed, so that delay was not measured for them',
    labelNames: ['delay'],
    registers,
  });
  const inconsistentSeconds = new Histogram({
    name: 'cdc_cache_audit_inconsistent_seconds',
    help: 'For changes seen inconsistent: time from the commit until every key was seen consistent (to within the recheck interval)',
    buckets: INCONSISTENT_SECONDS_BUCKETS,
    registers,
  });
  const unresolved = new Counter({
    name: 'cdc_cache_audit_unresolved_total',
    help: 'Changes still inconsistent at the last delay',
    registers,
  });
  const readErrors = new Counter({
    name: 'cdc_cache_audit_read_errors_total',
    help: 'Failed Redis reads of the auditor (its checks are retried)',
    registers,
  });
  new Gauge({
    name: 'cdc_cache_audit_pending',
    help: 'Changes waiting for a check (bounded by the queue size)',
    registers,
    collect() {
      this.set(stats().pending);
    },
  });
  new Gauge({
    name: 'cdc_cache_audit_consistent_ratio',
    help: 'Changes consistent at each delay / changes checked at it, since start',
    labelNames: ['delay'],
    registers,
    collect() {
      for (const { delayMs, checked, inconsistent } of stats().delays) {
        if (checked > 0) this.set({ delay: formatDelay(delayMs) }, 1 - inconsistent / checked);
      }
    },
  });
  return (event) => {
    switch (event.type) {
      case 'checked':
        checks.inc({
          delay: formatDelay(event.delayMs),
          result: event.consistent ? 'consistent' : 'inconsistent',
        });
        break;
      case 'skipped':
        skipped.inc({ reason: event.reason });
        break;
      case 'late':
        late.inc({ delay: formatDelay(event.delayMs) });
        break;
      case 'resolved':
        inconsistentSeconds.observe(event.durationMs / 1000);
        break;
      case 'unresolved':
        unresolved.inc();
        break;
      case 'read-error':
        readErrors.inc();
        break;
      case 'admitted':
        admitted.inc();
        break;
    }
  };
}

/**
 * A delay as a label: `1s`, `10s`, `1m`, `250ms`.
 *
 * @example
 * formatDelay(60_000) // '1m'
 */
export function formatDelay(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1_000 === 0 && ms > 0) return `${ms / 1_000}s`;
  return `${ms}ms`;
}

/**
 * The share of consistent checks as a percentage with as many nines as the count supports
 * (`99.9999%`), or `-` when nothing was checked.
 *
 * @example
 * formatNines(1_000_000, 1) // '99.9999%'
 */
export function formatNines(checked: number, inconsistent: number): string {
  if (checked === 0) return '-';
  if (inconsistent === 0) return '100%';
  const share = inconsistent / checked;
  // Enough decimals that the first digit that is not a 9 shows (it can never round up to 100).
  const decimals = Math.min(12, Math.max(1, Math.ceil(-Math.log10(share)) - 2));
  return `${(100 * (1 - share)).toFixed(decimals)}%`;
}

/**
 * The periodic summary line: changes checked and consistency at each delay.
 *
 * @example
 * formatAuditSummary(auditor.stats())
 * // 'audit: 1200 changes admitted; consistent within 1s 99.9% (1 of 1200 inconsistent), within 10s 100% (0 of 1200) ...'
 */
export function formatAuditSummary(stats: AuditStats): string {
  const delays = stats.delays
    .map(
      ({ delayMs, checked, inconsistent }) =>
        `within ${formatDelay(delayMs)} ${formatNines(checked, inconsistent)} (${inconsistent} of ${checked} inconsistent)`,
    )
    .join(', ');
  const skipped = Object.entries(stats.skipped)
    .filter(([, count]) => count > 0)
    .map(([reason, count]) => `${reason} ${count}`)
    .join(', ');
  return `audit: ${stats.admitted} changes audited; consistent ${delays}; resolved ${stats.resolved}, unresolved ${stats.unresolved}, pending ${stats.pending}${skipped ? `; skipped ${skipped}` : ''}${stats.readErrors ? `; read errors ${stats.readErrors}` : ''}`;
}
