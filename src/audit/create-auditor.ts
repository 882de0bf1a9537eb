import type { ChangeEvent } from '../core/change-event';
import { CdcCacheError } from '../errors';
import type { Keyspace } from '../keyspace';
import type { RedisReply } from '../redis/redis-port';
import { type AnyRedisClient, toRedisPort } from '../redis/to-redis-port';
import { type AuditTarget, auditPlans } from './audit-targets';
import { type AuditVerdict, classifyEntry, classifyTruncation } from './classify-entry';
import { createDueQueue } from './due-queue';

/** Options of {@link createAuditor}. */
export interface AuditorOptions {
  /** The keyspace shared with the worker and the SDK. */
  readonly keyspace: Keyspace;
  /** Key prefix; defaults to the keyspace's. Must match the worker's. */
  readonly prefix?: string;
  /** A client (node-redis, ioredis, GLIDE, or a port) the auditor only reads with (GET, MGET); never closed by it. */
  readonly redis: AnyRedisClient;
  /** When to check each change, after its commit. Default 1 s, 10 s, 60 s. */
  readonly delaysMs?: readonly number[];
  /** How often a change found inconsistent is checked again, to time how long it stays so. Default 1 s. */
  readonly recheckMs?: number;
  /** Most changes waiting for a check; beyond it new changes are dropped and counted. Default 100 000. */
  readonly maxPending?: number;
  /** Fraction of changes audited (0 < rate ≤ 1). Default 1. */
  readonly sampleRate?: number;
  /** Most changes checked per Redis round trip. Default 1000. */
  readonly batchSize?: number;
  /** Told about every outcome (metrics, logs). */
  readonly onEvent?: (event: AuditEvent) => void;
  /** Clock, ms since the epoch (tests). */
  readonly now?: () => number;
  /** Random source for sampling (tests). */
  readonly random?: () => number;
}

/** Defaults of {@link AuditorOptions}. */
export const AUDITOR_DEFAULTS = Object.freeze({
  delaysMs: Object.freeze([1_000, 10_000, 60_000]) as readonly number[],
  recheckMs: 1_000,
  maxPending: 100_000,
  sampleRate: 1,
  batchSize: 1_000,
});

/** Why a change was not audited. */
export type AuditSkipReason = 'not-planned' | 'unverifiable' | 'sampled-out' | 'queue-full';

/** What the auditor reports. */
export type AuditEvent =
  /** A change was admitted for checks. */
  | { readonly type: 'admitted' }
  | { readonly type: 'skipped'; readonly reason: AuditSkipReason }
  /** A change arrived after this delay had passed: that delay is not measured for it. */
  | { readonly type: 'late'; readonly delayMs: number }
  /** A change was checked at one of the delays. `key` and `verdict` name the first inconsistent key. */
  | {
      readonly type: 'checked';
      readonly delayMs: number;
      readonly consistent: boolean;
      readonly key?: string;
      readonly verdict?: AuditVerdict;
    }
  /** A change seen inconsistent became consistent, `durationMs` after its commit. */
  | { readonly type: 'resolved'; readonly durationMs: number }
  /** A change still inconsistent at the last delay. */
  | { readonly type: 'unresolved'; readonly key: string }
  /** Reading Redis failed; the checks are retried after the recheck interval. */
  | { readonly type: 'read-error'; readonly error: Error };

/** Counts since start, per delay. */
export interface AuditStats {
  readonly admitted: number;
  readonly skipped: Readonly<Record<AuditSkipReason, number>>;
  readonly delays: readonly {
    readonly delayMs: number;
    readonly checked: number;
    readonly inconsistent: number;
    readonly late: number;
  }[];
  readonly resolved: number;
  readonly unresolved: number;
  readonly readErrors: number;
  readonly pending: number;
}

/** The stream-side consistency auditor. */
export interface Auditor {
  /** Plan and enqueue the checks of decoded changes (`receivedAtMs`: when they arrived). */
  observe(events: readonly ChangeEvent[], receivedAtMs?: number): void;
  /** Run the checks due now (several rounds if needed); resolves to the number of changes checked. */
  runDue(): Promise<number>;
  /** Run due checks on a timer until {@link stop}. */
  start(): void;
  /** Stop the timer and wait for a round in flight. Pending checks are abandoned. */
  stop(): Promise<void>;
  stats(): AuditStats;
}

interface PendingCheck {
  dueMs: number;
  readonly baseMs: number;
  readonly version: string;
  readonly targets: readonly AuditTarget[];
  /** Index of the next delay to report. */
  stage: number;
  /** Seen inconsistent and not yet seen consistent again. */
  inconsistent: boolean;
}

const TICK_MS = 200;

/**
 * The auditor behind `cdc-cache audit`: for each change, plan the keys the worker touches (with the
 * worker's planner), read them after each delay and classify them (see {@link classifyEntry}). It never
 * writes to Redis: it sends only GET and MGET. The queue of pending checks is bounded.
 *
 * @example
 * const auditor = createAuditor({ keyspace, redis, onEvent: (event) => metrics.record(event) })
 * auditor.start()
 * auditor.observe(events) // from the auditor's own consumer
 */
export function createAuditor(options: AuditorOptions): Auditor {
  const delaysMs = options.delaysMs ?? AUDITOR_DEFAULTS.delaysMs;
  if (
    delaysMs.length === 0 ||
    delaysMs.some(
      (delay, at) => !Number.isInteger(delay) || delay < 0 || (at > 0 && delay <= delaysMs[at - 1]!),
    )
  ) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'delaysMs: expected increasing integers ≥ 0');
  }
  const recheckMs = positive('recheckMs', options.recheckMs ?? AUDITOR_DEFAULTS.recheckMs);
  const maxPending = positive('maxPending', options.maxPending ?? AUDITOR_DEFAULTS.maxPending);
  const batchSize = positive('batchSize', options.batchSize ?? AUDITOR_DEFAULTS.batchSize);
  const sampleRate = options.sampleRate ?? AUDITOR_DEFAULTS.sampleRate;
  if (!(sampleRate > 0 && sampleRate <= 1)) {
    throw new CdcCacheError('CDC_INVALID_OPTION', 'sampleRate: expected a number in (0, 1]');
  }
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const { keyspace } = options;
  const redis = toRedisPort(options.redis);
  const planOptions = { keyspace, ...(options.prefix === undefined ? {} : { prefix: options.prefix }) };
  const queue = createDueQueue<PendingCheck>(maxPending);
  const emit = options.onEvent ?? (() => undefined);
  const skipped: Record<AuditSkipReason, number> = {
    'not-planned': 0,
    unverifiable: 0,
    'sampled-out': 0,
    'queue-full': 0,
  };
  const perDelay = delaysMs.map((delayMs) => ({ delayMs, checked: 0, inconsistent: 0, late: 0 }));
  let admitted = 0;
  let resolved = 0;
  let unresolved = 0;
  let readErrors = 0;
  let timer: NodeJS.Timeout | undefined;
  let round: Promise<unknown> = Promise.resolve();
  let running = false;

  const skip = (reason: AuditSkipReason) => {
    skipped[reason] += 1;
    emit({ type: 'skipped', reason });
  };

  function observe(events: readonly ChangeEvent[], receivedAtMs = now()): void {
    const plans = auditPlans(events, planOptions);
    events.forEach((event, at) => {
      const plan = plans[at]!;
      if (plan.status === 'skip') {
        skip(plan.reason);
        return;
      }
      if (sampleRate < 1 && random() >= sampleRate) {
        skip('sampled-out');
        return;
      }
      // Delays count from the latest time the change can have committed (an entry written from then on is
      // newer): the commit time's next millisecond, never after the arrival. DynamoDB stream records carry
      // only an approximate creation time (rounded down to the second; to the minute on DynamoDB Local), so
      // they count from their arrival, the one bound that never calls an older entry newer.
      const baseMs =
        event.committedAt === null || event.source === 'dynamodb'
          ? receivedAtMs
          : Math.min(event.committedAt + 1, receivedAtMs);
      let stage = 0;
      while (stage < delaysMs.length && baseMs + delaysMs[stage]! < receivedAtMs) {
        perDelay[stage]!.late += 1;
        emit({ type: 'late', delayMs: delaysMs[stage]! });
        stage += 1;
      }
      if (stage === delaysMs.length) return;
      const check: PendingCheck = {
        dueMs: baseMs + delaysMs[stage]!,
        baseMs,
        version: event.version,
        targets: plan.targets,
        stage,
        inconsistent: false,
      };
      if (!queue.push(check)) {
        skip('queue-full');
        return;
      }
      admitted += 1;
      emit({ type: 'admitted' });
    });
  }

  async function read(keys: readonly string[]): Promise<(string | null)[]> {
    // One MGET on standalone Redis; on Cluster the keys span slots: one GET each, in one batch.
    const replies: (RedisReply | Error)[] = redis.cluster
      ? await redis.batch(keys.map((key) => ['GET', key]))
      : ((await redis.command(['MGET', ...keys])) as RedisReply[]);
    return replies.map((reply) => {
      if (reply instanceof Error) throw reply;
      return typeof reply === 'string' ? reply : null;
    });
  }

  async function checkRound(): Promise<number> {
    const due = queue.popDue(now(), batchSize);
    if (due.length === 0) return 0;
    const keys = new Map<string, number>();
    for (const check of due) {
      for (const target of check.targets) {
        if (!keys.has(target.key)) keys.set(target.key, keys.size);
        if (target.kind === 'entry' && !keys.has(target.generationKey)) {
          keys.set(target.generationKey, keys.size);
        }
      }
    }
    let values: (string | null)[];
    try {
      values = await read([...keys.keys()]);
    } catch (error) {
      readErrors += 1;
      emit({ type: 'read-error', error: error as Error });
      const retryAt = now() + recheckMs;
      for (const check of due) {
        check.dueMs = retryAt;
        queue.push(check);
      }
      return 0;
    }
    const at = now();
    for (const check of due) {
      let bad: { key: string; verdict: AuditVerdict } | undefined;
      for (const target of check.targets) {
        const raw = values[keys.get(target.key)!];
        const verdict =
          target.kind === 'entry'
            ? classifyEntry(raw, generationOf(values[keys.get(target.generationKey)!]), {
                version: check.version,
                newerFromMs: check.baseMs,
              })
            : classifyTruncation(raw, target.version);
        if (!verdict.consistent) {
          bad = { key: target.key, verdict };
          break;
        }
      }
      if (at >= check.baseMs + delaysMs[check.stage]!) {
        const counts = perDelay[check.stage]!;
        counts.checked += 1;
        if (bad) counts.inconsistent += 1;
        emit(
          bad
            ? { type: 'checked', delayMs: counts.delayMs, consistent: false, ...bad }
            : { type: 'checked', delayMs: counts.delayMs, consistent: true },
        );
        check.stage += 1;
      }
      if (bad) check.inconsistent = true;
      else if (check.inconsistent) {
        check.inconsistent = false;
        resolved += 1;
        emit({ type: 'resolved', durationMs: at - check.baseMs });
      }
      if (check.stage >= delaysMs.length) {
        if (bad) {
          unresolved += 1;
          emit({ type: 'unresolved', key: bad.key });
        }
        continue;
      }
      const nextStage = check.baseMs + delaysMs[check.stage]!;
      check.dueMs = bad ? Math.min(nextStage, at + recheckMs) : nextStage;
      queue.push(check); // room is certain: this check was just popped
    }
    return due.length;
  }

  async function runDue(): Promise<number> {
    let total = 0;
    for (;;) {
      const checked = await checkRound();
      total += checked;
      if (checked < batchSize) return total;
    }
  }

  const schedule = () => {
    if (!running) return;
    const next = queue.nextDueMs();
    const wait = next === undefined ? TICK_MS : Math.max(0, Math.min(TICK_MS, next - now()));
    timer = setTimeout(() => {
      round = runDue().finally(schedule);
    }, wait);
    timer.unref();
  };

  return {
    observe,
    runDue,
    start() {
      if (running) return;
      running = true;
      schedule();
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await round.catch(() => undefined);
    },
    stats: () => ({
      admitted,
      skipped: { ...skipped },
      delays: perDelay.map((counts) => ({ ...counts })),
      resolved,
      unresolved,
      readErrors,
      pending: queue.size,
    }),
  };
}

/** The generation in a generation key's value: 0 when missing. */
function generationOf(text: string | null | undefined): number {
  const generation = Number(text ?? 0);
  return Number.isSafeInteger(generation) ? generation : 0;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new CdcCacheError('CDC_INVALID_OPTION', `${name}: expected an integer ≥ 1, got ${value}`);
  }
  return value;
}
