import type { DynamoDBRecord } from 'aws-lambda';
import type { Logger } from 'pino';
import { applyRecords } from '../../core/apply-records';
import type { ChangeEvent } from '../../core/change-event';
import type { InvalidationEngine } from '../../core/ports';
import { backoffDelay, DEFAULT_RETRY_OPTIONS, redisFault, retry, sleep } from '../../core/retry';
import { CdcCacheError, isRetriableError } from '../../errors';
import type { Keyspace } from '../../keyspace';
import {
  checkStreamViewType,
  decodeStreamRecord,
  isTtlDeletion,
  type ShardStart,
  type StreamFailure,
  type StreamReader,
  type StreamShard,
} from '../../sources/dynamodb';
import type { DynamoDbWorkerMetrics } from './dynamodb-worker-metrics';
import { SHARD_END, type ShardStore } from './shard-store';

/** The logger the worker writes to (pino, or anything with these four methods). */
export type DynamoDbWorkerLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/** A stream record that could not be decoded or planned, with its context. */
export interface StreamDeadLetter {
  readonly shardId: string;
  readonly record: DynamoDBRecord;
  readonly error: CdcCacheError;
}

/** Stores dead letters durably; resolves once stored (then the records are checkpointed past). */
export type StreamDeadLetterSink = (letters: readonly StreamDeadLetter[]) => Promise<void>;

/** Options of {@link createDynamoDbWorker}. */
export interface DynamoDbWorkerOptions {
  readonly table: string;
  readonly keyspace: Keyspace;
  readonly engine: InvalidationEngine;
  readonly reader: StreamReader;
  readonly store: ShardStore;
  readonly deadLetters: StreamDeadLetterSink;
  readonly logger: DynamoDbWorkerLogger;
  readonly metrics?: DynamoDbWorkerMetrics;
  /** Numeric item attribute to take versions from instead of sequence numbers. */
  readonly versionAttribute?: string;
  /** Records per GetRecords call (DynamoDB allows up to 1000). */
  readonly batchSize?: number;
  /** Wait after an empty page of an open shard. */
  readonly idleMs?: number;
  /** How often the stream is described again to find new shards and rebalance. */
  readonly discoveryMs?: number;
  /** Lease duration (renewed every third of it). Must match the store's. */
  readonly leaseMs?: number;
  /** Where a shard without checkpoint and without a parent starts: every retained record, or new ones only. */
  readonly initialPosition?: 'trim_horizon' | 'latest';
  /** Longest wait between attempts while Redis or the stream is unavailable. */
  readonly retryMaxMs?: number;
}

/** Defaults of {@link DynamoDbWorkerOptions}. */
export const DYNAMODB_WORKER_DEFAULTS = Object.freeze({
  batchSize: 1000,
  idleMs: 1000,
  discoveryMs: 10_000,
  leaseMs: 30_000,
  initialPosition: 'trim_horizon' as const,
  retryMaxMs: 30_000,
});

/** A running polling consumer of one table's stream. */
export interface DynamoDbWorker {
  /** Check the stream, then discover and consume shards in the background. Rejects on a configuration problem. */
  start(): Promise<void>;
  /** Finish in-flight pages (checkpointing them), release every lease, leave. */
  stop(): Promise<void>;
  /** True once started and while the last stream discovery succeeded. */
  isReady(): boolean;
  /** The shards this worker holds now. */
  heldShards(): string[];
}

class Stopped extends Error {}

/**
 * The polling consumer of a DynamoDB stream, built on the {@link StreamReader} port and a {@link ShardStore}.
 *
 * - Shards are discovered every `discoveryMs`; a child shard starts only once its parent is read to its
 *   end (or trimmed away), so the changes of one item are applied in order across splits.
 * - Each shard is read by one worker at a time (a lease in the store, renewed every `leaseMs / 3`): with
 *   the handover window of an expired lease that is at most 2 readers per shard, DynamoDB's own limit.
 *   Workers take a fair share (`ceil(shards / live workers)`) and give extra shards back.
 * - A page is decoded, applied in one engine call, poison records are dead-lettered, and only then is the
 *   shard checkpointed (fenced by the lease). While Redis is down the page is retried with backoff and
 *   nothing is checkpointed. An expired iterator is re-created from the checkpoint; records trimmed before
 *   being read invalidate every entity of the table (a truncate), since their changes are unknown.
 *
 * @example
 * const worker = createDynamoDbWorker({ table: 'Products', keyspace, engine, reader, store, deadLetters, logger })
 * await worker.start(); process.once('SIGTERM', () => worker.stop())
 */
export function createDynamoDbWorker(options: DynamoDbWorkerOptions): DynamoDbWorker {
  const settings = { ...DYNAMODB_WORKER_DEFAULTS, ...stripUndefined(options) };
  for (const name of ['batchSize', 'idleMs', 'discoveryMs', 'leaseMs', 'retryMaxMs'] as const) {
    if (!Number.isInteger(settings[name]) || settings[name] <= 0) {
      throw new CdcCacheError(
        'CDC_INVALID_OPTION',
        `${name}: must be a positive integer, got ${String(settings[name])}`,
      );
    }
  }
  if (settings.batchSize > 1000)
    throw new CdcCacheError('CDC_INVALID_OPTION', 'batchSize: at most 1000 (GetRecords limit)');
  if (settings.initialPosition !== 'trim_horizon' && settings.initialPosition !== 'latest') {
    throw new CdcCacheError('CDC_INVALID_OPTION', "initialPosition: must be 'trim_horizon' or 'latest'");
  }
  const { table, engine, reader, store, logger, metrics } = options;
  const decodeOptions = {
    tableName: table,
    ...(options.versionAttribute ? { versionAttribute: options.versionAttribute } : {}),
  };
  const abort = new AbortController();
  const consumers = new Map<string, { stop: AbortController; done: Promise<void> }>();
  let streamArn = '';
  let ready = false;
  let loop: Promise<void> | undefined;

  const backoffMs = (attempt: number) =>
    backoffDelay(attempt + 1, {
      initialDelayMs: Math.min(200, settings.retryMaxMs),
      maxDelayMs: settings.retryMaxMs,
      factor: 2,
      jitter: DEFAULT_RETRY_OPTIONS.jitter,
    });
  /** Actions retrying after an infrastructure fault: /readyz reports the worker not ready while any is. */
  let faultsInProgress = 0;
  const waitPolicy = {
    retries: Number.POSITIVE_INFINITY,
    initialDelayMs: Math.min(200, settings.retryMaxMs),
    maxDelayMs: settings.retryMaxMs,
    factor: 2,
    jitter: DEFAULT_RETRY_OPTIONS.jitter,
  };

  /** Run `action` until it succeeds, backing off on retriable errors; throws Stopped once the shard stops. */
  const untilDone = async <T>(signal: AbortSignal, reason: string, action: () => Promise<T>): Promise<T> => {
    let faulted = false;
    try {
      // The first attempt runs even when stopping, so a graceful stop finishes the page in flight.
      return await retry(action, waitPolicy, {
        signal,
        isRetriable: isRetriableError,
        onRetry: ({ attempt, delayMs, error }) => {
          if (!faulted) {
            faulted = true;
            faultsInProgress++;
          }
          metrics?.retry(reason);
          if (reason === 'redis') metrics?.setRedisUnavailable(true);
          logger.warn(
            { err: error, attempt, delayMs, fault: redisFault(error) },
            `cdc-cache: ${reason} unavailable, retrying`,
          );
        },
      });
    } catch (error) {
      if (signal.aborted && isRetriableError(error)) throw new Stopped();
      throw error;
    } finally {
      if (faulted) faultsInProgress--;
    }
  };

  const applyPage = async (shardId: string, records: DynamoDBRecord[], signal: AbortSignal) => {
    const started = performance.now();
    const outcomes = await untilDone(signal, 'redis', () =>
      applyRecords(records, { decode: (record) => [decodeStreamRecord(record, decodeOptions)], engine }),
    );
    const letters: StreamDeadLetter[] = [];
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'poison')
        letters.push({ shardId, record: records[index]!, error: outcome.error });
      if (outcome.status !== 'poison' && isTtlDeletion(records[index]!)) metrics?.ttlDeletes.inc({ table });
    });
    if (letters.length > 0) {
      for (const { record, error } of letters) {
        logger.error(
          {
            err: error,
            code: error.code,
            shardId,
            sequenceNumber: record.dynamodb?.SequenceNumber,
            eventName: record.eventName,
          },
          // No keys or images: row data stays in the dead-letter stream, out of the logs.
          'cdc-cache: poison stream record dead-lettered',
        );
      }
      await untilDone(signal, 'redis', () => options.deadLetters(letters));
    }
    metrics?.setRedisUnavailable(false);
    metrics?.countOutcomes(outcomes, () => table);
    metrics?.observeBatch((performance.now() - started) / 1000);
    const created = records.at(-1)?.dynamodb?.ApproximateCreationDateTime;
    if (typeof created === 'number')
      metrics?.recordAgeSeconds.set({ table }, Math.max(0, Date.now() / 1000 - created));
  };

  /** Records were trimmed before we read them: their changes are unknown, so drop every entity of the table. */
  const invalidateTable = async (shardId: string, checkpoint: string, signal: AbortSignal) => {
    logger.error(
      { shardId, checkpoint },
      'cdc-cache: stream records were trimmed before being read (worker down longer than the 24h retention?); invalidating every entity of the table',
    );
    metrics?.gaps.inc({ table });
    const truncate: ChangeEvent<string> = {
      source: 'dynamodb',
      table,
      op: 'truncate',
      before: null,
      after: null,
      key: null,
      version: '',
      committedAt: null,
      position: checkpoint,
    };
    await untilDone(signal, 'redis', () => engine.apply([truncate]));
  };

  const consumeShard = async (
    shard: StreamShard,
    checkpoint: string,
    fresh: boolean,
    signal: AbortSignal,
  ) => {
    const { shardId } = shard;
    let position = checkpoint;
    let iterator: string | null = null;
    let attempt = 0;
    const startOf = (): ShardStart =>
      position
        ? { type: 'AFTER_SEQUENCE_NUMBER', sequenceNumber: position }
        : fresh && settings.initialPosition === 'latest'
          ? { type: 'LATEST' }
          : { type: 'TRIM_HORIZON' };
    while (!signal.aborted) {
      try {
        iterator ??= await reader.getIterator(streamArn, shardId, startOf());
        const page = await reader.getRecords(streamArn, iterator, settings.batchSize);
        if (page.records.length > 0) {
          await applyPage(shardId, page.records, signal);
          const last = page.records.at(-1)?.dynamodb?.SequenceNumber ?? position;
          if (!(await untilDone(signal, 'redis', () => store.checkpoint(shardId, last)))) {
            logger.warn({ shardId }, 'cdc-cache: lease lost to another worker; leaving the shard to it');
            return;
          }
          position = last;
        }
        if (page.nextIterator === null) {
          await untilDone(signal, 'redis', () => store.finish(shardId));
          logger.info({ shardId }, 'cdc-cache: shard read to its end; its children may start');
          return;
        }
        iterator = page.nextIterator;
        attempt = 0;
        if (page.records.length === 0) await sleep(settings.idleMs, signal);
      } catch (error) {
        if (error instanceof Stopped) return;
        const failure = (error as CdcCacheError).details?.['failure'] as StreamFailure | undefined;
        iterator = failure === 'throttled' || failure === 'unavailable' ? iterator : null;
        if (failure === 'expired-iterator') {
          metrics?.retry('expired_iterator');
          continue;
        }
        if (failure === 'trimmed' && position) {
          await invalidateTable(shardId, position, signal).catch((stopped: unknown) => {
            if (!(stopped instanceof Stopped)) throw stopped;
          });
          position = '';
          fresh = false;
          continue;
        }
        if (failure === 'not-found') {
          logger.warn({ shardId }, 'cdc-cache: shard no longer exists; treating it as finished');
          await store.finish(shardId).catch(() => undefined);
          return;
        }
        metrics?.retry(failure ?? 'unexpected');
        const delay = backoffMs(attempt++);
        logger.warn(
          { err: error, shardId, delayMs: Math.round(delay) },
          'cdc-cache: reading the shard failed, retrying',
        );
        await sleep(delay, signal);
      }
    }
  };

  const startConsumer = (shard: StreamShard, checkpoint: string, fresh: boolean) => {
    const stop = new AbortController();
    const onWorkerStop = () => stop.abort();
    abort.signal.addEventListener('abort', onWorkerStop, { once: true });
    const done = consumeShard(shard, checkpoint, fresh, stop.signal)
      .catch((error: unknown) =>
        logger.error({ err: error, shardId: shard.shardId }, 'cdc-cache: shard consumer failed'),
      )
      .finally(async () => {
        abort.signal.removeEventListener('abort', onWorkerStop);
        consumers.delete(shard.shardId);
        metrics?.shardsHeld.set({ table }, consumers.size);
        await store.release(shard.shardId).catch(() => undefined);
      });
    consumers.set(shard.shardId, { stop, done });
    metrics?.shardsHeld.set({ table }, consumers.size);
  };

  const discover = async () => {
    const live = await store.heartbeat();
    const description = await reader.describe(table);
    streamArn = description.streamArn;
    const listed = new Set(description.shards.map((shard) => shard.shardId));
    const parents = description.shards
      .map((shard) => shard.parentShardId)
      .filter((id): id is string => id !== null);
    const states = await store.checkpoints([...new Set([...listed, ...parents])]);
    const finished = (id: string) => states.get(id) === SHARD_END;
    const eligible = description.shards.filter(
      (shard) =>
        !finished(shard.shardId) &&
        (shard.parentShardId === null || !listed.has(shard.parentShardId) || finished(shard.parentShardId)),
    );
    const target = Math.ceil(eligible.length / live);
    for (const shard of eligible) {
      if (consumers.size >= target || abort.signal.aborted) break;
      if (consumers.has(shard.shardId)) continue;
      const { claimed, checkpoint } = await store.claim(shard.shardId);
      if (!claimed) continue;
      // A parent trimmed away before it was finished: the records between its checkpoint and the trim were lost.
      const parentState =
        shard.parentShardId && !listed.has(shard.parentShardId) ? states.get(shard.parentShardId) : '';
      if (!checkpoint && parentState && parentState !== SHARD_END)
        await invalidateTable(shard.shardId, parentState, abort.signal);
      const fresh =
        !checkpoint && (shard.parentShardId === null || !listed.has(shard.parentShardId)) && !parentState;
      logger.info({ shardId: shard.shardId, checkpoint: checkpoint || null }, 'cdc-cache: shard lease taken');
      startConsumer(shard, checkpoint, fresh);
    }
    // Give extra shards back so that a worker that just joined gets its share.
    const extra = consumers.size - target;
    if (extra > 0) {
      for (const [shardId, consumer] of [...consumers].slice(0, extra)) {
        logger.info({ shardId, target }, 'cdc-cache: giving a shard back to rebalance');
        consumer.stop.abort();
      }
    }
  };

  const renew = async () => {
    await Promise.all(
      [...consumers].map(async ([shardId, consumer]) => {
        if (!(await store.renew(shardId))) {
          logger.warn({ shardId }, 'cdc-cache: lease lost; stopping the shard');
          consumer.stop.abort();
        }
      }),
    );
  };

  const run = async () => {
    let lastDiscovery = 0;
    let attempt = 0;
    while (!abort.signal.aborted) {
      try {
        if (Date.now() - lastDiscovery >= settings.discoveryMs) {
          await discover();
          lastDiscovery = Date.now();
        } else {
          await renew();
        }
        ready = true;
        attempt = 0;
        await sleep(Math.min(settings.discoveryMs, Math.floor(settings.leaseMs / 3)), abort.signal);
      } catch (error) {
        if (error instanceof Stopped) break;
        ready = false;
        logger.warn({ err: error }, 'cdc-cache: stream discovery or lease renewal failed, retrying');
        await sleep(backoffMs(attempt++), abort.signal);
      }
    }
  };

  return {
    async start() {
      const description = await reader.describe(table);
      if (!description.streamArn) {
        throw new CdcCacheError(
          'CDC_CONFIG_INVALID',
          `DynamoDB table '${table}' has no stream: enable one with NEW_AND_OLD_IMAGES`,
        );
      }
      const entities = checkStreamViewType(
        options.keyspace,
        table,
        description.viewType,
        description.keyAttributes,
      );
      if (entities.length === 0) {
        throw new CdcCacheError(
          'CDC_CONFIG_INVALID',
          `No entity of the keyspace has the source { dynamodb: '${table}' }`,
        );
      }
      streamArn = description.streamArn;
      logger.info(
        { table, streamArn, viewType: description.viewType, entities, shards: description.shards.length },
        'cdc-cache: stream checked',
      );
      await discover();
      ready = true;
      loop = run();
    },
    async stop() {
      abort.abort();
      await loop;
      await Promise.all([...consumers.values()].map((consumer) => consumer.done));
      await store.leave().catch(() => undefined);
      ready = false;
    },
    isReady: () => ready && faultsInProgress === 0 && !abort.signal.aborted,
    heldShards: () => [...consumers.keys()],
  };
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}
