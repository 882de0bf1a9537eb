import { Histogram, Registry } from 'prom-client';
import { createSeriesHistogram } from '../../../src/observability/series-histogram';

const BUCKETS = [0.01, 0.05, 0.1, 1, 10];
// Values on, between, below and above the bounds, for two series.
const OBSERVATIONS: [string, number][] = [
  ['public.users', 0.01],
  ['public.users', 0.003],
  ['public.users', 0.07],
  ['shop.orders', 1],
  ['public.users', 12.5],
  ['shop.orders', 0.2],
  ['public.users', 0.05],
];

function both() {
  const theirs = new Registry();
  const ours = new Registry();
  const histogram = new Histogram({
    name: 'lag_seconds',
    help: 'Commit to applied',
    labelNames: ['source'],
    buckets: BUCKETS,
    registers: [theirs],
  });
  const series = createSeriesHistogram({
    name: 'lag_seconds',
    help: 'Commit to applied',
    labelName: 'source',
    buckets: BUCKETS,
    registers: [ours],
  });
  for (const [source, value] of OBSERVATIONS) {
    histogram.observe({ source }, value);
    series.series(source).observe(value);
  }
  return { theirs, ours };
}

describe('createSeriesHistogram', () => {
  it("is exposed exactly as prom-client's Histogram with the same observations", async () => {
    // Prepare
    const { theirs, ours } = both();
    // Act
    const [expected, actual] = await Promise.all([theirs.metrics(), ours.metrics()]);
    // Assess
    expect(actual).toBe(expected);
    expect(actual).toContain('lag_seconds_bucket{le="0.05",source="public.users"} 3');
    expect(actual).toContain('lag_seconds_count{source="shop.orders"} 2');
  });

  it('gives the same JSON and resets like the registry expects', async () => {
    // Prepare
    const { theirs, ours } = both();
    // Act
    const [expected, actual] = await Promise.all([theirs.getMetricsAsJSON(), ours.getMetricsAsJSON()]);
    ours.resetMetrics();
    theirs.resetMetrics();
    // Assess
    expect(actual).toEqual(expected);
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });
});
