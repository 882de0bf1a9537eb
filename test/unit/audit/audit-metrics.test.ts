import { formatAuditSummary, formatDelay, formatNines } from '../../../src/audit/audit-metrics';

describe('formatNines', () => {
  it.each([
    [0, 0, '-'],
    [1000, 0, '100%'],
    [1000, 1, '99.9%'],
    [1_000_000, 1, '99.9999%'],
    [50_000, 12, '99.98%'],
    [10, 5, '50.0%'],
    [10, 10, '0.0%'],
  ])('%i checked, %i inconsistent -> %s', (checked, inconsistent, text) => {
    expect(formatNines(checked, inconsistent)).toBe(text);
  });
});

describe('formatAuditSummary', () => {
  it('names every delay with its nines and counts', () => {
    const line = formatAuditSummary({
      admitted: 1000,
      skipped: { 'not-planned': 0, unverifiable: 0, 'sampled-out': 0, 'queue-full': 3 },
      delays: [
        { delayMs: 1000, checked: 1000, inconsistent: 1, late: 0 },
        { delayMs: 60_000, checked: 990, inconsistent: 0, late: 0 },
      ],
      resolved: 1,
      unresolved: 0,
      readErrors: 0,
      pending: 10,
    });
    expect(line).toBe(
      'audit: 1000 changes audited; consistent within 1s 99.9% (1 of 1000 inconsistent), within 1m 100% (0 of 990 inconsistent); resolved 1, unresolved 0, pending 10; skipped queue-full 3',
    );
    expect([formatDelay(250), formatDelay(10_000), formatDelay(120_000)]).toEqual(['250ms', '10s', '2m']);
  });
});
