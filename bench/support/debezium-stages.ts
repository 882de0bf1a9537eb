// Where a Debezium path's commit -> key gone goes: the connector's part (the commit, until Connect's producer
// took the change's record: the record's timestamp) and the rest (the producer's linger, the broker,
// `cdc-cache worker kafka`, Redis), beside the Kafka client alone reading the same records at the same time.
// The split is at the record's create time: the Kafka client reports a record's own timestamp even on a
// topic of `message.timestamp.type=LogAppendTime` (it does not read the batch's), so the broker's append time
// is not available to split at.
import { createTopicReader, type TopicReader } from '../../test/support/kafka-topic-reader';
import type { ChangeTiming } from './paths';

/**
 * The connector as docs/kafka-worker.md recommends for a cache: Debezium hands changes to Kafka within 10 ms
 * (its default waits up to 500 ms; BENCH_DEBEZIUM_POLL_MS sets another), and Connect's producer sends each at
 * once (Kafka 4's default lingers 5 ms).
 */
export const CACHE_CONNECTOR_TUNING: Readonly<Record<string, string>> = {
  'poll.interval.ms': process.env['BENCH_DEBEZIUM_POLL_MS'] ?? '10',
  'producer.override.linger.ms': '0',
};

/** The parts of each timed change, ms (Kafka timestamps have millisecond resolution). */
export interface DebeziumStages {
  /** Commit returned -> the record's timestamp (Connect's producer took the record). */
  readonly connectorMs: number[];
  /** The record's timestamp -> key seen gone: the producer, the broker, the worker, Redis and the 1 ms poll. */
  readonly workerMs: number[];
  /** The record's timestamp -> a bare consumer of the same client (its defaults) received it. */
  readonly consumeOnlyMs: number[];
}

/** Reads a Debezium topic while changes are timed, then splits them (see {@link DebeziumStages}). */
export interface StageRecorder {
  /** Wait for each timed change's record, stop reading, and split each change. */
  split(timings: readonly ChangeTiming[]): Promise<DebeziumStages>;
  /** Stop reading (split does; for a run that failed before it). Idempotent. */
  close(): Promise<void>;
}

/** The row id in a Debezium JSON key (`{"schema":…,"payload":{"id":5}}`, or `{"id":5}` without schemas). */
function rowId(key: string | null): number | undefined {
  if (key === null) return undefined;
  const parsed = JSON.parse(key) as { payload?: { id?: unknown }; id?: unknown };
  const id = (parsed.payload ?? parsed).id;
  return typeof id === 'number' ? id : undefined;
}

/**
 * Start reading `topic` from its end (a second to join before the first timed commit). Each timed change's
 * record is the last of its row stamped at or after its commit was sent (less 1 ms: timestamps are rounded
 * down to the millisecond): not after it returned, since Debezium may take the change before this process
 * has seen the commit's reply (then the connector's part reads negative, which is what happened).
 *
 * @example
 * const recorder = await recordDebeziumStages(connector.topicFor(table))
 * const timings = await commitToGoneLatencies({ ... })
 * const { connectorMs, workerMs, consumeOnlyMs } = await recorder.split(timings.debezium)
 */
export async function recordDebeziumStages(topic: string): Promise<StageRecorder> {
  const reader: TopicReader = await createTopicReader({ topics: topic, fromBeginning: false });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  return {
    async split(timings) {
      const wanted = new Map(timings.map((each) => [each.id, each]));
      const records = new Map<number, { stampedAtMs: number; receivedAtMs: number }>();
      let seen = 0;
      try {
        await reader.waitFor(
          (messages) => {
            for (; seen < messages.length; seen++) {
              const message = messages[seen]!;
              const id = rowId(message.key);
              const timing = id === undefined ? undefined : wanted.get(id);
              const stampedAtMs = Number(message.timestamp);
              if (timing && stampedAtMs >= timing.commitSentAtMs - 1) {
                records.set(timing.id, { stampedAtMs, receivedAtMs: message.receivedAtMs });
              }
            }
            return records.size === wanted.size;
          },
          { timeoutMs: 60_000, description: `the records of ${wanted.size} timed changes` },
        );
      } finally {
        await reader.close();
      }
      const record = (id: number) => records.get(id)!;
      return {
        connectorMs: timings.map((each) => record(each.id).stampedAtMs - each.committedAtMs),
        workerMs: timings.map((each) => each.goneAtMs - record(each.id).stampedAtMs),
        consumeOnlyMs: timings.map((each) => record(each.id).receivedAtMs - record(each.id).stampedAtMs),
      };
    },
    close: () => reader.close(),
  };
}
