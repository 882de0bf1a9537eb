import type { ChangeEvent } from '../../../src/core/change-event';
import type { EventOutcome, InvalidationEngine } from '../../../src/core/ports';

/** An engine double for unit tests of the handlers' batching logic: records calls, answers with `decide`. */
export function fakeEngine(
  decide: (event: ChangeEvent) => EventOutcome | Error = () => ({ status: 'applied', actions: 1 }),
) {
  const calls: ChangeEvent[][] = [];
  const engine: InvalidationEngine = {
    async apply(events) {
      calls.push([...events]);
      return events.map((event) => {
        const outcome = decide(event);
        if (outcome instanceof Error) throw outcome;
        return outcome;
      });
    },
    async close() {},
  };
  return { engine, calls };
}

/** A logger that keeps what it is told. */
export function memoryLogger() {
  const lines: { level: string; context: Record<string, unknown>; message?: string }[] = [];
  const log = (level: string) => (context: object, message?: string) =>
    lines.push({ level, context: context as Record<string, unknown>, ...(message ? { message } : {}) });
  return {
    logger: { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') },
    lines,
  };
}
