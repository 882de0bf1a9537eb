import { Writable } from 'node:stream';
import { CdcCacheError } from '../../../src/errors';
import { attachLogger } from '../../../src/observability/attach-logger';
import { createLogger } from '../../../src/observability/create-logger';
import { createMetricsRegistry } from '../../../src/observability/create-metrics-registry';
import { createInstrumentation } from '../../../src/observability/instrumentation';
import { userChange } from './change-event-factory';

const noActions = { delete: 0, refresh: 0, tombstone: 0, 'bump-generation': 0, 'invalidate-tag': 0 };

describe('instrumentation', () => {
  it('has no listeners until one is added, and removes it again', () => {
    // Prepare
    const instrumentation = createInstrumentation();
    const seen: number[] = [];
    // Act
    const before = instrumentation.has('redis.retry');
    const off = instrumentation.on('redis.retry', ({ attempt }) => seen.push(attempt));
    instrumentation.emit('redis.retry', { attempt: 1, delayMs: 5, error: null });
    off();
    instrumentation.emit('redis.retry', { attempt: 2, delayMs: 5, error: null });
    // Assess
    expect(before).toBe(false);
    expect(seen).toEqual([1]);
    expect(instrumentation.has('redis.retry')).toBe(false);
  });

  it('isolates a throwing listener', () => {
    // Prepare
    const instrumentation = createInstrumentation();
    const seen: string[] = [];
    instrumentation.on('redis.unavailable', () => {
      throw new Error('broken listener');
    });
    instrumentation.on('redis.unavailable', ({ error }) => seen.push(error.message));
    // Act
    instrumentation.emit('redis.unavailable', { error: new Error('down') });
    // Assess
    expect(seen).toEqual(['down']);
  });
});

describe('createMetricsRegistry', () => {
  it('counts events in, skipped and failed, actions by kind, and observes apply latency and lag', async () => {
    // Prepare
    const instrumentation = createInstrumentation();
    const registry = createMetricsRegistry({ instrumentation, defaultMetrics: false });
    const committedAt = 1_000_000;
    const events = [userChange({ committedAt }), userChange({ table: 'other' }), userChange()];
    // Act
    instrumentation.emit('batch.applied', {
      events,
      outcomes: [
        { status: 'applied', actions: 2 },
        { status: 'skipped', reason: 'x' },
        { status: 'failed', error: new CdcCacheError('CDC_PLAN_FAILED', 'bad') },
      ],
      actions: { ...noActions, delete: 2, refresh: 1 },
      durationMs: 4,
      appliedAt: committedAt + 1500,
    });
    instrumentation.emit('redis.retry', { attempt: 1, delayMs: 1, error: null });
    // Assess
    const text = await registry.metrics();
    expect(text).toContain('cdc_cache_engine_events_total{source="postgres"} 3');
    expect(text).toContain('cdc_cache_engine_events_skipped_total{source="postgres"} 1');
    expect(text).toContain('cdc_cache_engine_events_failed_total{source="postgres"} 1');
    expect(text).toContain('cdc_cache_engine_actions_total{action="delete"} 2');
    expect(text).toContain('cdc_cache_engine_actions_total{action="refresh"} 1');
    expect(text).toContain('cdc_cache_engine_apply_duration_seconds_count 1');
    expect(text).toContain('cdc_cache_engine_lag_seconds_sum{source="postgres"} 1.5');
    expect(text).toContain('cdc_cache_engine_redis_retries_total 1');
  });

  it('counts each source of a mixed batch under its own label', async () => {
    // Prepare
    const instrumentation = createInstrumentation();
    const registry = createMetricsRegistry({ instrumentation, defaultMetrics: false });
    const committedAt = 1_000_000;
    const dynamodb = { source: 'dynamodb' as const, committedAt };
    const events = [userChange({ committedAt }), userChange(dynamodb), userChange(dynamodb)];
    // Act
    instrumentation.emit('batch.applied', {
      events,
      outcomes: [
        { status: 'applied', actions: 1 },
        { status: 'applied', actions: 1 },
        { status: 'skipped', reason: 'x' },
      ],
      actions: { ...noActions, delete: 2 },
      durationMs: 1,
      appliedAt: committedAt + 2000,
    });
    // Assess
    const text = await registry.metrics();
    expect(text).toContain('cdc_cache_engine_events_total{source="postgres"} 1');
    expect(text).toContain('cdc_cache_engine_events_total{source="dynamodb"} 2');
    expect(text).toContain('cdc_cache_engine_events_skipped_total{source="dynamodb"} 1');
    expect(text).not.toContain('cdc_cache_engine_events_skipped_total{source="postgres"}');
    expect(text).toContain('cdc_cache_engine_lag_seconds_count{source="dynamodb"} 1');
    expect(text).toContain('cdc_cache_engine_lag_seconds_sum{source="postgres"} 2');
  });
});

describe('createLogger + attachLogger', () => {
  it('writes JSON lines for failures and retries', () => {
    // Prepare
    const lines: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const instrumentation = createInstrumentation();
    attachLogger(instrumentation, createLogger({ level: 'info', destination }));
    // Act
    instrumentation.emit('event.failed', {
      event: userChange(),
      error: new CdcCacheError('CDC_PLAN_FAILED', 'bad row'),
    });
    instrumentation.emit('event.skipped', { event: userChange(), reason: 'debug only' });
    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 50,
      name: 'cdc-cache',
      table: 'public.users',
      err: { code: 'CDC_PLAN_FAILED' },
    });
  });
});
