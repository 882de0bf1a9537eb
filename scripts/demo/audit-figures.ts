import { formatNines } from '../../src/audit/audit-metrics';
import { scrapeCounter } from './scrape-counter';

/** The auditors' and the read service's consistency figures at the end of the demo. */
export interface AuditFigures {
  /** Changes admitted for checks, by both auditors. */
  readonly changes_audited: number;
  /** Per delay: changes checked, inconsistent, and the share consistent ("nines"). */
  readonly delays: Record<string, { checked: number; inconsistent: number; nines: string }>;
  /** Changes still waiting for a check when the demo read the figures. */
  readonly pending: number;
}

/**
 * Sum the `cdc_cache_audit_*` metrics of the auditors' /metrics endpoints.
 *
 * @example
 * await auditFigures(['http://127.0.0.1:9465/metrics'], ['1s', '5s'])
 */
export async function auditFigures(
  urls: readonly string[],
  delays: readonly string[],
): Promise<AuditFigures> {
  const sum = async (name: string, filter?: string) =>
    (await Promise.all(urls.map((url) => scrapeCounter(url, name, filter)))).reduce((a, b) => a + b, 0);
  const figures: AuditFigures['delays'] = {};
  for (const delay of delays) {
    const consistent = await sum('cdc_cache_audit_checks_total', `delay="${delay}",result="consistent"`);
    const inconsistent = await sum('cdc_cache_audit_checks_total', `delay="${delay}",result="inconsistent"`);
    const checked = consistent + inconsistent;
    figures[delay] = { checked, inconsistent, nines: formatNines(checked, inconsistent) };
  }
  const pending = await sum('cdc_cache_audit_pending');
  return { changes_audited: await sum('cdc_cache_audit_changes_total'), delays: figures, pending };
}
