/**
 * Sum every sample of a Prometheus counter on a /metrics endpoint, optionally only samples whose labels
 * contain `labelFilter` (e.g. `result="applied"`). Resolves 0 when the endpoint does not answer.
 *
 * @example
 * await scrapeCounter('http://127.0.0.1:9464/metrics', 'cdc_cache_engine_actions_total') // 1234
 */
export async function scrapeCounter(url: string, name: string, labelFilter?: string): Promise<number> {
  let text: string;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    text = await response.text();
  } catch {
    return 0;
  }
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    if (labelFilter && !rest.includes(labelFilter)) continue;
    total += Number(rest.slice(rest.lastIndexOf(' ') + 1)) || 0;
  }
  return total;
}
