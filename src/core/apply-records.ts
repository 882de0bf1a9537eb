import { CdcCacheError, isRetriableError } from '../errors';
import type { ChangeEvent } from './change-event';
import type { Decoder, EventOutcome, InvalidationEngine } from './ports';

/** One change event of a record and what became of it. */
export interface RecordEvent {
  readonly event: ChangeEvent;
  readonly outcome: EventOutcome;
}

/** What became of one record, in the order of the input. */
export type RecordOutcome =
  /** Redis acknowledged every action of every event the record carries: acknowledge it. */
  | { readonly status: 'applied'; readonly actions: number; readonly events: readonly RecordEvent[] }
  /** Nothing to do (no events, or tables outside the keyspace): acknowledge it. */
  | { readonly status: 'skipped'; readonly reason: string; readonly events: readonly RecordEvent[] }
  /** A data error (cannot be decoded or planned): dead-letter it, then acknowledge it. */
  | { readonly status: 'poison'; readonly error: CdcCacheError; readonly events: readonly RecordEvent[] };

/** What {@link applyRecords} needs besides the records. */
export interface ApplyRecordsOptions<Raw> {
  /** Turns one record into its change events. */
  readonly decode: Decoder<Raw>;
  /** Plans and applies the events. */
  readonly engine: InvalidationEngine;
}

/**
 * The one record pipeline of every runtime: decode each record, apply all their events through the engine
 * in one call, and return one outcome per record, in order. A runtime adds only its transport and its
 * failure policy (what it does with a poison record, and how it waits when this throws).
 *
 * - A record that cannot be decoded or planned is `poison`, with a coded error; the others still apply.
 * - An unexpected (non-retriable) throw of the engine is isolated: the records are split in halves, in
 *   order, until the one that causes it stands alone and becomes `poison` (`CDC_PLAN_FAILED`).
 * - It throws only retriable errors (Redis unavailable, an infrastructure reply, a decoder's dependency
 *   out of reach): then nothing of the batch may be acknowledged.
 *
 * @example
 * const outcomes = await applyRecords(page.records, { decode: (record) => [decodeStreamRecord(record)], engine })
 * const poison = outcomes.flatMap((outcome, index) => (outcome.status === 'poison' ? [records[index]] : []))
 */
export async function applyRecords<Raw>(
  records: readonly Raw[],
  options: ApplyRecordsOptions<Raw>,
): Promise<RecordOutcome[]> {
  const { decode, engine } = options;
  const decoded: (readonly ChangeEvent[] | CdcCacheError)[] = new Array(records.length);
  for (let index = 0; index < records.length; index++) {
    try {
      let events = decode(records[index]!);
      if (isPromise(events)) events = await events;
      decoded[index] = events;
    } catch (error) {
      if (isRetriableError(error)) throw error;
      decoded[index] = asCdcError(error, 'CDC_DECODE_FAILED');
    }
  }

  const results: (readonly EventOutcome[] | CdcCacheError | undefined)[] = new Array(records.length);
  const applyIsolating = async (indexes: readonly number[]): Promise<void> => {
    const events: ChangeEvent[] = [];
    for (const index of indexes) {
      const record = decoded[index]!;
      if (!(record instanceof CdcCacheError)) for (const event of record) events.push(event);
    }
    let outcomes: EventOutcome[];
    try {
      outcomes = events.length > 0 ? await engine.apply(events) : [];
    } catch (error) {
      if (isRetriableError(error)) throw error;
      // The engine reports bad events as outcomes; a throw is unexpected. Find the record that causes it
      // rather than dead-letter the whole batch, keeping the order of the rest.
      if (indexes.length === 1) {
        results[indexes[0]!] = asCdcError(error, 'CDC_PLAN_FAILED');
        return;
      }
      const middle = Math.ceil(indexes.length / 2);
      await applyIsolating(indexes.slice(0, middle));
      await applyIsolating(indexes.slice(middle));
      return;
    }
    let at = 0;
    for (const index of indexes) {
      const record = decoded[index]!;
      if (record instanceof CdcCacheError) continue;
      results[index] = outcomes.slice(at, at + record.length);
      at += record.length;
    }
  };
  await applyIsolating(records.map((_record, index) => index));

  return decoded.map((record, index): RecordOutcome => {
    if (record instanceof CdcCacheError) return { status: 'poison', error: record, events: [] };
    const result = results[index];
    const events = record.map((event, at) => ({
      event,
      outcome: result instanceof CdcCacheError ? { status: 'failed' as const, error: result } : result![at]!,
    }));
    if (result instanceof CdcCacheError) return { status: 'poison', error: result, events };
    let actions = 0;
    let applied = false;
    for (const { outcome } of events) {
      if (outcome.status === 'failed') {
        // An infrastructure fault must never be dead-lettered; the engine throws those, this is a guard.
        if (outcome.error.retriable) throw outcome.error;
        return { status: 'poison', error: outcome.error, events };
      }
      if (outcome.status === 'applied') {
        applied = true;
        actions += outcome.actions;
      }
    }
    if (applied) return { status: 'applied', actions, events };
    const skipped = events.find(({ outcome }) => outcome.status === 'skipped')?.outcome;
    return {
      status: 'skipped',
      reason: skipped?.status === 'skipped' ? skipped.reason : 'the record carries no change event',
      events,
    };
  });
}

function isPromise<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as Promise<T> | undefined)?.then === 'function';
}

function asCdcError(error: unknown, code: 'CDC_DECODE_FAILED' | 'CDC_PLAN_FAILED'): CdcCacheError {
  if (error instanceof CdcCacheError) return error;
  return new CdcCacheError(code, error instanceof Error ? error.message : String(error), { cause: error });
}
