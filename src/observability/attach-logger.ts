import type { Logger } from 'pino';
import type { Instrumentation } from './instrumentation';

/** What {@link attachLogger} writes to: pino, or anything with its four methods (debug lines need `isLevelEnabled`). */
export type EngineEventLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'> &
  Partial<Pick<Logger, 'isLevelEnabled'>>;

/**
 * Log the engine's instrumentation events: failures and Redis outages at error, retries and images missing
 * key columns at warn, skipped events and batches at debug (only for a logger that says debug is enabled, so
 * a busy worker builds no debug payloads otherwise). Every runtime attaches its logger to its engine's
 * instrumentation. Returns a function that detaches the logger.
 *
 * @example
 * const detach = attachLogger(instrumentation, createLogger())
 */
export function attachLogger(instrumentation: Instrumentation, logger: EngineEventLogger): () => void {
  const off = [
    instrumentation.on('event.failed', ({ event, error }) =>
      logger.error(
        { table: event.table, op: event.op, version: event.version, position: event.position, err: error },
        'change event failed; dead-letter it',
      ),
    ),
    instrumentation.on('redis.retry', ({ attempt, delayMs, error }) =>
      logger.warn({ attempt, delayMs, err: error }, 'Redis call failed; retrying'),
    ),
    instrumentation.on('redis.unavailable', ({ error }) =>
      logger.error({ err: error }, 'Redis unavailable after retries; the batch is not acknowledged'),
    ),
    instrumentation.on('redis.eviction-policy', ({ policies, safe, message }) =>
      safe ? logger.info({ policies }, message) : logger.warn({ policies }, message),
    ),
    instrumentation.on('event.incomplete-image', ({ event, entities }) =>
      logger.warn(
        { table: event.table, op: event.op, entities },
        'a row image lacks key columns; those keys cannot be invalidated (REPLICA IDENTITY FULL / binlog_row_image=FULL?)',
      ),
    ),
  ];
  if (logger.isLevelEnabled?.('debug')) {
    off.push(
      instrumentation.on('event.skipped', ({ event, reason }) =>
        logger.debug({ table: event.table, op: event.op, reason }, 'change event skipped'),
      ),
      instrumentation.on('batch.applied', ({ events, actions, durationMs }) =>
        logger.debug({ events: events.length, actions, durationMs }, 'batch applied'),
      ),
    );
  }
  return () => {
    for (const remove of off) remove();
  };
}
