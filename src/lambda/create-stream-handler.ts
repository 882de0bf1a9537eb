import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { applyRecords, type RecordOutcome } from '../core/apply-records';
import { createDeadLetter, deadLetterFields } from '../core/dead-letter';
import type { InvalidationEngine } from '../core/ports';
import { redisFault } from '../core/retry';
import { CdcCacheError } from '../errors';
import type { Keyspace } from '../keyspace';
import { METRIC_NAMES } from '../observability/metric-names';
import { checkStreamViewType, decodeStreamRecord, isTtlDeletion, tableFromArn } from '../sources/dynamodb';
import { countRecords, createEmfMetrics, type EmfMetrics, retryReason } from './emf-metrics';
import { type LambdaLogger, silentLogger } from './lambda-logger';

/** What a handler needs, ready or resolved lazily on the first invocation (e.g. after a secret is read). */
export interface StreamHandlerDependencies {
  /** The engine that plans and applies events. */
  readonly engine: InvalidationEngine;
  /** The keyspace, to check each table's stream view type on its first record. */
  readonly keyspace: Keyspace;
}

/** Options of {@link createStreamHandler}. */
export interface StreamHandlerOptions {
  /** The engine and keyspace, or a function resolving them (called once, retried after a failure). */
  dependencies: StreamHandlerDependencies | (() => Promise<StreamHandlerDependencies>);
  /** Table name to use instead of the one in each record's eventSourceARN. */
  tableName?: string;
  /** Numeric item attribute to take versions from instead of sequence numbers. */
  versionAttribute?: string;
  /** Structured logger (pino-compatible). Default: silent. */
  logger?: LambdaLogger;
  /** EMF metrics. Default: EMF lines on stdout with dimension `runtime=dynamodb-lambda`. */
  metrics?: EmfMetrics;
}

/** A DynamoDB Streams Lambda handler with ReportBatchItemFailures. */
export type StreamHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * Build a DynamoDB Streams handler for custom wiring (your own engine, keyspace or logger); `handler` in
 * `cdc-cache/lambda` is this factory configured from the environment.
 *
 * Per batch: decode every record, apply all decodable events in one engine call, then report the FIRST
 * failing record (decode or plan failure) as `batchItemFailures[0].itemIdentifier`. Lambda checkpoints
 * just before it and redelivers from it onward, so records are never acknowledged out of order; events
 * after the failure were already applied once and are applied again on the retry, which every action
 * tolerates (deletes are idempotent, refreshes are version-guarded). After the event source mapping's
 * retries, the poison record goes to its on-failure destination. A Redis outage throws: the whole batch
 * is retried, nothing is acknowledged.
 *
 * @example
 * export const handler = createStreamHandler({
 *   dependencies: { keyspace, engine: createInvalidationEngine({ keyspace, redis: process.env.REDIS_URL! }) },
 * })
 */
export function createStreamHandler(options: StreamHandlerOptions): StreamHandler {
  if (typeof options?.dependencies !== 'object' && typeof options?.dependencies !== 'function') {
    throw new CdcCacheError(
      'CDC_INVALID_OPTION',
      'createStreamHandler: dependencies must be an object or a function',
    );
  }
  const logger = options.logger ?? silentLogger;
  const metrics = options.metrics ?? createEmfMetrics({ dimensions: { runtime: 'dynamodb-lambda' } });
  const decodeOptions = {
    ...(options.tableName ? { tableName: options.tableName } : {}),
    ...(options.versionAttribute ? { versionAttribute: options.versionAttribute } : {}),
  };
  const resolve = memoize(options.dependencies);
  // table|viewType -> the startup check's verdict, so each stream is checked once per container.
  const verdicts = new Map<string, CdcCacheError | null>();

  const checkViewType = (keyspace: Keyspace, record: DynamoDBRecord, table: string): void => {
    const viewType = record.dynamodb?.StreamViewType;
    const id = `${table}|${viewType}`;
    let verdict = verdicts.get(id);
    if (verdict === undefined) {
      try {
        checkStreamViewType(keyspace, table, viewType, Object.keys(record.dynamodb?.Keys ?? {}));
        verdict = null;
      } catch (error) {
        // Configuration, not data: retriable, so the whole invocation fails loudly until it is fixed.
        verdict = new CdcCacheError('CDC_CONFIG_INVALID', (error as Error).message, {
          cause: error,
          retriable: true,
        });
        logger.error(
          { err: verdict, table, viewType, eventSourceARN: record.eventSourceARN },
          'cdc-cache: the stream view type cannot serve this keyspace; every batch fails until the stream or keyspace is fixed',
        );
      }
      verdicts.set(id, verdict);
    }
    if (verdict) throw verdict;
  };

  return async (event) => {
    const started = performance.now();
    const records = event?.Records ?? [];
    const { engine, keyspace } = await resolve();
    let ttlDeletes = 0;
    let outcomes: RecordOutcome[];
    try {
      outcomes = await applyRecords(records, {
        decode: (record) => {
          const change = decodeStreamRecord(record, decodeOptions);
          checkViewType(keyspace, record, change.table);
          if (isTtlDeletion(record)) ttlDeletes++;
          return [change];
        },
        engine,
      });
    } catch (error) {
      metrics.count(METRIC_NAMES.retries, 1, { reason: retryReason(error) });
      metrics.flush();
      // A view-type verdict is logged once, when first reached, not on every retried batch.
      const configuration = error instanceof CdcCacheError && error.code === 'CDC_CONFIG_INVALID';
      if (!configuration)
        logger.error(
          {
            err: error,
            fault: redisFault(error),
            records: records.length,
            firstSequenceNumber: records[0]?.dynamodb?.SequenceNumber,
          },
          'cdc-cache: the batch was not applied; failing the invocation so that Lambda retries it',
        );
      throw error;
    }

    let actions = 0;
    const failures = new Map<number, CdcCacheError>();
    outcomes.forEach((outcome, index) => {
      if (outcome.status === 'applied') actions += outcome.actions;
      else if (outcome.status === 'poison') failures.set(index, outcome.error);
    });
    for (const [index, error] of failures) {
      const record = records[index];
      const sequenceNumber = record?.dynamodb?.SequenceNumber ?? '';
      const table = options.tableName ?? tableFromArn(record?.eventSourceARN) ?? '';
      const letter = createDeadLetter(error, 'dynamodb-lambda', { table, sequenceNumber });
      logger.error(
        {
          err: error,
          // The dead letter every runtime writes; the record itself goes to the on-failure destination.
          deadLetter: Object.fromEntries(deadLetterFields(letter)),
          code: error.code,
          details: error.details,
          sequenceNumber: record?.dynamodb?.SequenceNumber,
          eventID: record?.eventID,
          eventName: record?.eventName,
          eventSourceARN: record?.eventSourceARN,
          // No keys or images: row data stays out of the logs (the record stays in the stream and goes
          // to the on-failure destination).
        },
        'cdc-cache: poison stream record reported as a batch item failure',
      );
    }
    const first = failures.size > 0 ? Math.min(...failures.keys()) : -1;
    const acknowledged = first < 0 ? records.length : first;
    // Records after the first failure are delivered again (and counted then); the failed ones go to the
    // on-failure destination once Lambda's retries are spent.
    const counted = outcomes.slice(0, acknowledged);
    countRecords(metrics, {
      applied: counted.filter((outcome) => outcome.status === 'applied').length,
      skipped: counted.filter((outcome) => outcome.status === 'skipped').length,
      failed: failures.size,
    });
    metrics.count(METRIC_NAMES.actions, actions);
    metrics.count('cdc_cache_dynamodb_ttl_deletes_total', ttlDeletes);
    metrics.seconds(METRIC_NAMES.batchDuration, (performance.now() - started) / 1000);
    metrics.flush();
    if (first < 0) return { batchItemFailures: [] };
    // An empty itemIdentifier makes Lambda retry the whole batch, the safe reading of a record without one.
    return { batchItemFailures: [{ itemIdentifier: records[first]?.dynamodb?.SequenceNumber ?? '' }] };
  };
}

/** Resolve the dependencies once; a failed resolution (a secret not readable yet) is retried next time. */
export function memoize<T>(source: T | (() => Promise<T>)): () => Promise<T> {
  if (typeof source !== 'function') {
    const ready = Promise.resolve(source);
    return () => ready;
  }
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= (source as () => Promise<T>)().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
