import type { Logger } from 'pino';
import { applyRecords } from '../../core/apply-records';
import type { ChangeEvent } from '../../core/change-event';
import type { InvalidationEngine } from '../../core/ports';
import { backoffDelay, DEFAULT_RETRY_OPTIONS, redisFault, retry, sleep } from '../../core/retry';
import { CdcCacheError, isRetriableError } from '../../errors';
import {
  createPgoutputDecoder,
  formatLsn,
  type OpenReplicationStream,
  type PgoutputDecoder,
  type PgoutputPosition,
  parseLsn,
  type ReplicationStream,
  type SlotStatus,
} from '../../sources/postgres';
import type { PostgresWorkerMetrics } from './postgres-worker-metrics';

/** The logger the worker writes to (pino, or anything with these four methods). */
export type PostgresWorkerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** A change that could not be decoded or planned, with where it was in the WAL. */
export interface PostgresDeadLetter {
  readonly lsn: string;
  readonly table: string;
  readonly event: ChangeEvent | null;
  readonly error: CdcCacheError;
}

/** Stores dead letters durably; resolves once stored (then their transaction may be acknowledged). */
export type PostgresDeadLetterSink = (letters: readonly PostgresDeadLetter[]) => Promise<void>;

/** Options of {@link createPostgresWorker}. */
export interface PostgresWorkerOptions {
  readonly slot: string;
  readonly engine: InvalidationEngine;
  /** Opens one replication connection on the slot (see `pgoutputStreamOpener`). */
  readonly open: OpenReplicationStream;
  readonly deadLetters: PostgresDeadLetterSink;
  readonly logger: PostgresWorkerLogger;
  readonly metrics?: PostgresWorkerMetrics;
  /** Primary key columns by table, for the events' `key`. */
  readonly primaryKeys?: ReadonlyMap<string, readonly string[]>;
  /** Reads the slot's lag and retained WAL (a plain connection); not called when absent. */
  readonly slotStatus?: () => Promise<SlotStatus | undefined>;
  /** Most changes per Redis pipeline. */
  readonly batchSize?: number;
  /** Changes held in memory while Redis is slow or down; beyond it the stream is dropped and re-read later. */
  readonly maxPending?: number;
  /** How often the applied position is reported even when nothing changes (keeps the connection alive). */
  readonly statusIntervalMs?: number;
  /** How often the slot's lag is read. */
  readonly lagIntervalMs?: number;
  /** Warn when the slot keeps more WAL than this many bytes (an abandoned or stuck slot fills the disk). */
  readonly maxRetainedBytes?: number;
  /** Longest wait between attempts while Redis is down or another worker holds the slot. */
  readonly retryMaxMs?: number;
}

/** Defaults of {@link PostgresWorkerOptions}. */
export const POSTGRES_WORKER_DEFAULTS = Object.freeze({
  batchSize: 1000,
  maxPending: 50_000,
  statusIntervalMs: 10_000,
  lagIntervalMs: 10_000,
  maxRetainedBytes: 1024 ** 3,
  retryMaxMs: 5_000,
});

/** A running PostgreSQL logical replication consumer. */
export interface PostgresWorker {
  /** Start streaming in the background (or standing by while another worker holds the slot). */
  start(): void;
  /** Stop taking changes, apply and acknowledge those received, close the connection. */
  stop(): Promise<void>;
  /** True while this worker holds the slot and Redis answers. */
  isReady(): boolean;
  /** The position acknowledged to the server: every change before it is applied. */
  flushedLsn(): bigint;
}

type Item =
  | { readonly kind: 'event'; readonly event: ChangeEvent<PgoutputPosition> }
  | { readonly kind: 'letter'; readonly letter: PostgresDeadLetter }
  | { readonly kind: 'commit'; readonly endLsn: bigint };

/** SQLSTATE object_in_use: `replication slot "x" is active for PID n`. */
const SLOT_IN_USE = '55006';

/**
 * The consumer of one logical replication slot.
 *
 * - Changes are queued in WAL order as they arrive and applied in batches of up to `batchSize`, one Redis
 *   pipeline each, as soon as the previous batch is acknowledged (no linger: batches grow under load).
 * - The server is told a transaction is flushed (a standby status update with its commit's end LSN) only
 *   after Redis acknowledged every change up to it, so after a crash the server replays from there and
 *   nothing is lost. When idle, a keepalive's position is acknowledged, so the slot does not hold WAL
 *   written by tables outside the publication.
 * - While Redis is down the batch is retried with backoff and nothing is acknowledged; once `maxPending`
 *   changes wait, the connection is dropped and the changes are re-read from the slot after recovery.
 * - PostgreSQL lets one connection stream from a slot: a second worker's attempts fail with "slot is
 *   active" and are retried with backoff, so it takes over when the first one's connection ends.
 *
 * @example
 * const worker = createPostgresWorker({ slot: 'cdc_cache', engine, open, deadLetters, logger })
 * worker.start(); process.once('SIGTERM', () => worker.stop())
 */
export function createPostgresWorker(options: PostgresWorkerOptions): PostgresWorker {
  const settings = { ...POSTGRES_WORKER_DEFAULTS, ...stripUndefined(options) };
  for (const name of Object.keys(POSTGRES_WORKER_DEFAULTS) as (keyof typeof POSTGRES_WORKER_DEFAULTS)[]) {
    if (!Number.isSafeInteger(settings[name]) || settings[name] <= 0) {
      throw new CdcCacheError(
        'CDC_INVALID_OPTION',
        `${name}: must be a positive integer, got ${String(settings[name])}`,
      );
    }
  }
  const { slot, engine, logger, metrics } = options;
  const labels = { slot };
  const abort = new AbortController();

  let queue: Item[] = [];
  let stream: ReplicationStream | undefined;
  let generation = 0;
  let streaming = false;
  let redisDown = false;
  let inTransaction = false;
  let applying: Promise<void> | undefined;
  let draining = false;
  let flushed = 0n;
  let loop: Promise<void> | undefined;
  const timers: NodeJS.Timeout[] = [];

  const backoffMs = (attempt: number) =>
    backoffDelay(attempt + 1, {
      initialDelayMs: Math.min(100, settings.retryMaxMs),
      maxDelayMs: settings.retryMaxMs,
      factor: 2,
      jitter: DEFAULT_RETRY_OPTIONS.jitter,
    });

  const confirm = (lsn: bigint) => {
    if (lsn > flushed) flushed = lsn;
    stream?.confirm(flushed);
  };

  const waitPolicy = {
    retries: Number.POSITIVE_INFINITY,
    initialDelayMs: Math.min(100, settings.retryMaxMs),
    maxDelayMs: settings.retryMaxMs,
    factor: 2,
    jitter: DEFAULT_RETRY_OPTIONS.jitter,
  };

  /** Run `action` until it succeeds, backing off while Redis is unavailable (nothing is acknowledged meanwhile). */
  const untilApplied = async <T>(action: () => Promise<T>): Promise<T> => {
    // The first attempt runs even when stopping; a stop while Redis is down leaves the slot where it is.
    const result = await retry(action, waitPolicy, {
      signal: abort.signal,
      isRetriable: isRetriableError,
      onRetry: ({ attempt, delayMs, error }) => {
        redisDown = true;
        metrics?.retry('redis');
        metrics?.setRedisUnavailable(true);
        logger.warn(
          { err: error, attempt, delayMs, fault: redisFault(error) },
          'cdc-cache: Redis unavailable, paused, retrying',
        );
      },
    });
    if (redisDown) logger.info({ slot }, 'cdc-cache: Redis is back, resuming');
    redisDown = false;
    return result;
  };

  const applyBatch = async (items: readonly Item[]) => {
    const started = performance.now();
    const events: ChangeEvent<PgoutputPosition>[] = [];
    const letters: PostgresDeadLetter[] = [];
    let endLsn = 0n;
    for (const item of items) {
      if (item.kind === 'event') events.push(item.event);
      else if (item.kind === 'letter') letters.push(item.letter);
      else endLsn = item.endLsn;
    }
    const outcomes =
      events.length > 0
        ? await untilApplied(() => applyRecords(events, { decode: (event) => [event], engine }))
        : [];
    const decodeFailures = letters.length;
    outcomes.forEach((outcome, index) => {
      const event = events[index]!;
      if (outcome.status === 'poison') {
        letters.push({ lsn: event.position.lsn, table: event.table, event, error: outcome.error });
      }
    });
    if (letters.length > 0) {
      for (const { lsn, table, error } of letters) {
        logger.error({ err: error, code: error.code, lsn, table }, 'cdc-cache: change dead-lettered');
      }
      await untilApplied(() => options.deadLetters(letters));
    }
    metrics?.setRedisUnavailable(false);
    metrics?.countOutcomes(outcomes, (index) => events[index]!.table);
    for (const { table } of letters.slice(0, decodeFailures)) metrics?.count(table, 'dead_lettered');
    metrics?.observeBatch((performance.now() - started) / 1000);
    // Acknowledge the last transaction whose every change is now in Redis (a batch may end mid-transaction).
    if (endLsn > 0n) confirm(endLsn);
  };

  /** Apply everything queued, batch after batch; one drain at a time. */
  const drain = (): Promise<void> => {
    if (applying) return applying;
    // Several messages arrive in one socket read: the queue may have grown while no drain ran.
    if (queue.length === 0) return Promise.resolve();
    // The loop awaits before it can finish, so `applying` is set before the `finally` clears it.
    applying = (async () => {
      try {
        while (queue.length > 0) {
          let events = 0;
          let cut = 0;
          while (cut < queue.length && events < settings.batchSize) {
            if (queue[cut]!.kind === 'event') events++;
            cut++;
          }
          // Commit markers right after the last event belong to this batch: acknowledge them with it.
          while (cut < queue.length && queue[cut]!.kind === 'commit') cut++;
          const batch = queue.slice(0, cut);
          queue = queue.slice(cut);
          await applyBatch(batch);
        }
      } finally {
        applying = undefined;
      }
    })();
    return applying;
  };

  const kick = () => {
    drain().catch((error: unknown) => {
      // Only a stop while Redis is down gets here: the queue stays unacknowledged.
      if (!abort.signal.aborted) logger.error({ err: error }, 'cdc-cache: applying changes failed');
    });
  };

  const streamOnce = async (backoffAttempt: { value: number }) => {
    const mine = ++generation;
    const decode: PgoutputDecoder = createPgoutputDecoder(
      options.primaryKeys ? { primaryKeys: options.primaryKeys } : {},
    );
    inTransaction = false;
    let overflowed = false;
    const current = options.open({
      onStart() {
        if (mine !== generation) return;
        streaming = true;
        backoffAttempt.value = 0;
        metrics?.slotHeld.set(labels, 1);
        logger.info({ slot }, 'cdc-cache: streaming from the replication slot');
        stream?.confirm(flushed);
      },
      onMessage(lsn, message) {
        if (mine !== generation || draining || overflowed) return;
        if (message.tag === 'begin') inTransaction = true;
        let events: ChangeEvent<PgoutputPosition>[] = [];
        try {
          events = decode(lsn, message);
        } catch (error) {
          const cdcError =
            error instanceof CdcCacheError
              ? error
              : new CdcCacheError('CDC_DECODE_FAILED', String(error), { cause: error });
          queue.push({
            kind: 'letter',
            letter: { lsn: formatLsn(lsn), table: '', event: null, error: cdcError },
          });
        }
        for (const event of events) queue.push({ kind: 'event', event });
        if (message.tag === 'commit') {
          inTransaction = false;
          queue.push({ kind: 'commit', endLsn: parseLsn(message.commitEndLsn ?? '0/0') });
        }
        if (queue.length > settings.maxPending) {
          // Redis cannot keep up (or is down): stop reading; what is queued is applied, the rest re-read.
          overflowed = true;
          logger.warn(
            { slot, pending: queue.length },
            'cdc-cache: too many changes pending; reconnecting once they are applied',
          );
          void current.stop();
        }
        kick();
      },
      onKeepalive(lsn, replyRequested) {
        if (mine !== generation) return;
        // Everything before a keepalive was sent; if all of it is applied, the slot may move past it.
        if (!inTransaction && !draining && !overflowed && queue.length === 0 && applying === undefined) {
          if (lsn > flushed) flushed = lsn;
        }
        if (replyRequested) stream?.confirm(flushed);
      },
    });
    stream = current;
    try {
      await current.done;
    } finally {
      if (stream === current) stream = undefined;
      streaming = false;
      metrics?.slotHeld.set(labels, 0);
    }
    return overflowed;
  };

  const run = async () => {
    const attempt = { value: 0 };
    let standingBy = false;
    while (!abort.signal.aborted) {
      let overflowed = false;
      try {
        overflowed = await streamOnce(attempt);
      } catch (error) {
        if ((error as { code?: string }).code === SLOT_IN_USE) {
          if (!standingBy)
            logger.info({ slot }, 'cdc-cache: the slot is used by another worker; standing by to take over');
          standingBy = true;
          metrics?.retry('slot_in_use');
        } else {
          standingBy = false;
          metrics?.retry('postgres');
          logger.warn({ err: error, slot }, 'cdc-cache: replication connection failed, reconnecting');
        }
      }
      if (abort.signal.aborted) break;
      // Whatever was received is applied before the next connection replays from the acknowledged position.
      await drain().catch(() => undefined);
      queue = [];
      if (!overflowed) await sleep(backoffMs(attempt.value++), abort.signal);
    }
  };

  const watchSlot = async () => {
    const status = await options.slotStatus?.();
    if (!status) return;
    metrics?.slotLagBytes.set(labels, status.lagBytes);
    metrics?.slotRetainedBytes.set(labels, status.retainedBytes);
    if (status.retainedBytes > settings.maxRetainedBytes) {
      logger.warn(
        {
          slot,
          retainedBytes: status.retainedBytes,
          maxRetainedBytes: settings.maxRetainedBytes,
          active: status.active,
        },
        'cdc-cache: the replication slot retains more WAL than allowed; is a worker running and Redis reachable? Drop the slot if it is abandoned',
      );
    }
  };

  return {
    start() {
      if (loop) return;
      loop = run();
      timers.push(setInterval(() => stream?.confirm(flushed), settings.statusIntervalMs));
      if (options.slotStatus) {
        const tick = () =>
          watchSlot().catch((error: unknown) =>
            logger.warn({ err: error, slot }, 'cdc-cache: cannot read the slot status'),
          );
        void tick();
        timers.push(setInterval(tick, settings.lagIntervalMs));
      }
      for (const timer of timers) timer.unref();
    },
    async stop() {
      draining = true;
      // Apply what was received (the first attempt runs even while Redis is down), acknowledge it, leave.
      abort.abort();
      await drain().catch(() => undefined);
      for (const timer of timers) clearInterval(timer);
      await stream?.stop();
      await loop;
    },
    isReady: () => streaming && !redisDown,
    flushedLsn: () => flushed,
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
