import type { ChangeEvent } from '../../../src/core/change-event';
import type { EventOutcome, InvalidationEngine } from '../../../src/core/ports';
import { CdcCacheError } from '../../../src/errors';
import { createPostgresWorker } from '../../../src/runtimes/postgres-worker';
import type { ReplicationHandlers } from '../../../src/sources/postgres';
import { relationFactory, transactionFactory } from './pgoutput-factories';

const silent = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
};
const users = relationFactory('users', [
  ['id', 23],
  ['email', 25],
]);
const insert = (id: number) => ({
  tag: 'insert' as const,
  relation: users,
  new: { id: String(id), email: `${id}@x` },
});

/** A replication stream driven by the test: it delivers messages and records what was confirmed. */
function fakeStream() {
  let handlers: ReplicationHandlers | undefined;
  const confirmed: bigint[] = [];
  const open = (given: ReplicationHandlers) => {
    handlers = given;
    queueMicrotask(() => given.onStart());
    let end: () => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      end = resolve;
    });
    return { done, confirm: (lsn: bigint) => confirmed.push(lsn), stop: async () => end() };
  };
  const deliver = (messages: Parameters<ReplicationHandlers['onMessage']>[1][], lsn = 10n) => {
    for (const message of messages) handlers!.onMessage(lsn, message);
  };
  return { open, deliver, confirmed, keepalive: (lsn: bigint) => handlers!.onKeepalive(lsn, true) };
}

/** An engine whose apply calls the test resolves (or fails) by hand. */
function manualEngine() {
  const calls: {
    events: readonly ChangeEvent[];
    resolve: (outcomes: EventOutcome[]) => void;
    reject: (error: unknown) => void;
  }[] = [];
  const engine: InvalidationEngine = {
    apply: (events) => new Promise((resolve, reject) => calls.push({ events, resolve, reject })),
    close: async () => undefined,
  };
  const applied = (at: number) =>
    calls[at]!.resolve(calls[at]!.events.map(() => ({ status: 'applied', actions: 1 })));
  return { engine, calls, applied };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('createPostgresWorker', () => {
  test('a whole transaction delivered in one socket read is applied, then its commit is confirmed', async () => {
    // Prepare
    const stream = fakeStream();
    const { engine, calls, applied } = manualEngine();
    const worker = createPostgresWorker({
      slot: 's',
      engine,
      open: stream.open,
      deadLetters: async () => undefined,
      logger: silent,
    });
    worker.start();
    await flush();

    // Act: every message in the same tick, as one TCP read delivers them
    stream.deliver(transactionFactory([insert(1), insert(2)], '0/500'));
    await flush();

    // Assess: the first change goes out at once, the rest as soon as it is acknowledged
    expect(calls.map((call) => call.events.map((event) => event.after?.['id']))).toEqual([[1]]);
    applied(0);
    await flush();
    expect(calls.map((call) => call.events.map((event) => event.after?.['id']))).toEqual([[1], [2]]);
    expect(stream.confirmed.filter((lsn) => lsn > 0n)).toEqual([]);
    applied(1);
    await flush();
    expect(worker.flushedLsn()).toBe(0x500n);
    expect(stream.confirmed.at(-1)).toBe(0x500n);
    await worker.stop();
  });

  test('nothing past an unapplied transaction is confirmed: not by a keepalive, not while Redis is down', async () => {
    // Prepare
    const stream = fakeStream();
    const { engine, calls, applied } = manualEngine();
    const worker = createPostgresWorker({
      slot: 's',
      engine,
      open: stream.open,
      deadLetters: async () => undefined,
      logger: silent,
      retryMaxMs: 100,
    });
    worker.start();
    await flush();
    stream.keepalive(0x100n);
    expect(worker.flushedLsn()).toBe(0x100n);

    // Act: a transaction arrives; Redis fails the first attempt; a keepalive comes meanwhile
    stream.deliver(transactionFactory([insert(1)], '0/300'));
    await flush();
    calls[0]!.reject(new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'down', { retriable: true }));
    stream.keepalive(0x400n);
    await flush();

    // Assess
    expect(worker.flushedLsn()).toBe(0x100n);
    expect(worker.isReady()).toBe(false);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(calls).toHaveLength(2);
    applied(1);
    await flush();
    expect(worker.flushedLsn()).toBe(0x300n);
    expect(worker.isReady()).toBe(true);
    await worker.stop();
  });
});
