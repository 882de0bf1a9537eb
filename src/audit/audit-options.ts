import { parseDuration } from '../keyspace/parse-duration';
import { defineOption, parsers, typed } from '../runtimes/shared/config-schema';
import { AUDITOR_DEFAULTS } from './create-auditor';

/** Parse a comma-separated list of increasing durations (`1s,10s,1m` or milliseconds). */
const parseDelays = typed('list of increasing durations', (raw: string): number[] => {
  const delays = parsers.list(raw).map((item) => {
    const parsed = parseDuration(/^\d+$/.test(item) ? Number(item) : item);
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed.ms;
  });
  if (delays.some((delay, at) => at > 0 && delay <= delays[at - 1]!)) {
    throw new Error(`expected increasing delays, got '${raw}'`);
  }
  return delays;
});

const parseRate = typed('fraction in (0, 1]', (raw: string): number => {
  const rate = Number(raw.trim());
  if (!(rate > 0 && rate <= 1)) throw new Error(`expected a fraction in (0, 1], got '${raw}'`);
  return rate;
});

/**
 * The options of `cdc-cache audit` on top of its source's worker options (which it accepts unchanged, so
 * one configuration serves both): when to check, how much to hold, and its own consumer position.
 *
 * @example
 * export const kafkaAuditConfigSchema = { ...kafkaWorkerConfigSchema, ...auditOptions }
 */
export const auditOptions = {
  auditDelays: defineOption({
    env: 'CDC_CACHE_AUDIT_DELAYS',
    flag: 'audit-delays',
    description: 'When to check each change after its commit: increasing durations (e.g. 1s,10s,1m) or ms',
    parse: parseDelays,
    default: [...AUDITOR_DEFAULTS.delaysMs],
  }),
  auditRecheckMs: defineOption({
    env: 'CDC_CACHE_AUDIT_RECHECK_MS',
    flag: 'audit-recheck-ms',
    description: 'How often a change found inconsistent is read again, to time how long it stays so',
    parse: parsers.integer({ min: 10, max: 600_000 }),
    default: AUDITOR_DEFAULTS.recheckMs,
  }),
  auditMaxPending: defineOption({
    env: 'CDC_CACHE_AUDIT_MAX_PENDING',
    flag: 'audit-max-pending',
    description:
      'Most changes waiting for their checks; beyond it changes are dropped and counted (queue-full)',
    parse: parsers.integer({ min: 1, max: 10_000_000 }),
    default: AUDITOR_DEFAULTS.maxPending,
  }),
  auditSampleRate: defineOption({
    env: 'CDC_CACHE_AUDIT_SAMPLE_RATE',
    flag: 'audit-sample-rate',
    description: 'Fraction of changes audited, in (0, 1]',
    parse: parseRate,
    default: AUDITOR_DEFAULTS.sampleRate,
  }),
  auditSummaryMs: defineOption({
    env: 'CDC_CACHE_AUDIT_SUMMARY_MS',
    flag: 'audit-summary-ms',
    description: 'How often the summary line is logged',
    parse: parsers.integer({ min: 100, max: 86_400_000 }),
    default: 60_000,
  }),
};
