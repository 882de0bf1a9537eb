// Where a Debezium path's commit -> key gone goes: the connector's part (the commit, until the change's record
// was appended to Kafka: the record's append time) and ours (Kafka -> `cdc-cache worker kafka` -> Redis),
// beside the Kafka client alone reading the same records at the same time (our part's own floor).
import { createTopicReader, type TopicReader } from '../../test/support/kafka-topic-reader';
import type { ChangeTiming } from './paths';

/**
 * The topic setting that makes a record's timestamp the broker's append time, so the split falls where the
 * record reached Kafka (with Connect's default, CreateTime, the producer's linger would count as ours).
 */
export const APPEND_TIME_TOPIC = { 'message.timestamp.type': 'LogAppendTime' } as const;

/** The parts of each timed change, ms (Kafka timestamps have millisecond resolution). */
export interface DebeziumStages {
  /** Commit returned -> the record's append time in Kafka (see {@link APPEND_TIME_TOPIC}). */
  readonly connectorMs: number[];
  /** The record's append time -> key seen gone: the broker, the worker, Redis and the 1 ms poll. */
  readonly workerMs: number[];
  /** The record's append time -> a bare consumer of the same client (its defaults) received it. */
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
 * Start reading `topic` from its end (give it a second to join before the first timed commit). Each timed
 * change's record is the last of its row appended at or after its commit returned (less 1 ms: the append
 * time is rounded down to the millisecond).
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
      const records = new Map<number, { appendedAtMs: number; receivedAtMs: number }>();
      let seen = 0;
      try {
        await reader.waitFor(
          (messages) => {
            for (; seen < messages.length; seen++) {
              const message = messages[seen]!;
              const id = rowId(message.key);
              const timing = id === undefined ? undefined : wanted.get(id);
              const appendedAtMs = Number(message.timestamp);
              if (timing && appendedAtMs >= timing.committedAtMs - 1) {
                records.set(timing.id, { appendedAtMs, receivedAtMs: message.receivedAtMs });
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
        connectorMs: timings.map((each) => record(each.id).appendedAtMs - each.committedAtMs),
        workerMs: timings.map((each) => each.goneAtMs - record(each.id).appendedAtMs),
        consumeOnlyMs: timings.map((each) => record(each.id).receivedAtMs - record(each.id).appendedAtMs),
      };
    },
    close: () => reader.close(),
  };
}
