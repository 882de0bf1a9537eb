import { Redis } from 'ioredis';
import type { ChangeEvent } from '../../../src/core/change-event';
import { keyspaceFromData } from '../../../src/keyspace';
import { createInstrumentation } from '../../../src/observability/instrumentation';
import { createWorkerEngine } from '../../../src/runtimes/shared/create-worker-engine';

// The workers log the engine's events: an image missing key columns or a Redis retry must reach the log,
// not only a metric nobody reads.
describe('a worker engine', () => {
  it("writes the engine's warnings to the worker's log", async () => {
    // Prepare: a client that never connects (nothing is applied here)
    const redis = new Redis({ lazyConnect: true });
    const lines: { level: string; context: object; message?: string }[] = [];
    const log = (level: string) => (context: object, message?: string) =>
      lines.push({ level, context, ...(message ? { message } : {}) });
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const instrumentation = createInstrumentation();
    const keyspace = keyspaceFromData({
      entities: { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] } },
    });
    const engine = createWorkerEngine(
      { redisWaitReplicas: 0, redisWaitTimeoutMs: 100 },
      { keyspace, redis, instrumentation, logger },
    );
    const event = { table: 'public.users', op: 'update' } as ChangeEvent;

    // Act
    instrumentation.emit('event.incomplete-image', { event, entities: ['user'] });
    instrumentation.emit('redis.retry', { attempt: 1, delayMs: 100, error: new Error('ECONNRESET') });

    // Assess
    expect(lines).toEqual([
      expect.objectContaining({ level: 'warn', context: expect.objectContaining({ entities: ['user'] }) }),
      expect.objectContaining({ level: 'warn', context: expect.objectContaining({ attempt: 1 }) }),
    ]);
    await engine.close();
    redis.disconnect();
  });
});
