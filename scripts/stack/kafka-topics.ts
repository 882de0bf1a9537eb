// Topic administration and producing on the stack's Kafka, with @platformatic/kafka (the product's client), for
// the tests, the benchmarks and the demo: one place for creating, listing and deleting topics and for writing
// raw records.
import { Admin, type BaseOptions, Producer } from '@platformatic/kafka';
import { stackEndpoints } from './stack-endpoints';
import { waitFor } from './wait-for';

/** Where to connect: the stack's brokers unless given. */
export interface KafkaTarget {
  readonly brokers?: readonly string[];
  /** Default `cdc-cache-stack`. */
  readonly clientId?: string;
}

/** The connection options of a client on the stack's Kafka (or on `target.brokers`). */
export function stackKafkaClient(
  target: KafkaTarget = {},
): Pick<BaseOptions, 'bootstrapBrokers' | 'clientId'> {
  return {
    bootstrapBrokers: [...(target.brokers ?? stackEndpoints().kafka.brokers)],
    clientId: target.clientId ?? 'cdc-cache-stack',
  };
}

/** Run `work` with an admin client, closed afterwards. */
export async function withKafkaAdmin<T>(
  work: (admin: Admin) => Promise<T>,
  target?: KafkaTarget,
): Promise<T> {
  const admin = new Admin(stackKafkaClient(target));
  try {
    return await work(admin);
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Every topic name (internal topics left out). */
export function listTopics(target?: KafkaTarget): Promise<string[]> {
  return withKafkaAdmin((admin) => admin.listTopics(), target);
}

/**
 * Create the topics that do not exist yet (`partitions` each, default: the broker's default), then wait until
 * every partition of each has a leader, so a producer or consumer can use them at once.
 *
 * @example
 * await createTopics(['orders'], { partitions: 3 })
 */
export async function createTopics(
  topics: readonly string[],
  options: KafkaTarget & { readonly partitions?: number } = {},
): Promise<void> {
  await withKafkaAdmin(async (admin) => {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await admin
        .createTopics({
          topics: missing,
          replicas: 1,
          ...(options.partitions ? { partitions: options.partitions } : {}),
        })
        .catch(async (error: unknown) => {
          // Someone else (the broker's auto-creation, another caller) created one in between.
          const now = new Set(await admin.listTopics());
          if (!missing.every((topic) => now.has(topic))) throw error;
        });
    }
    await waitFor(
      async () => {
        const { topics: known } = await admin.metadata({ topics: [...topics], forceUpdate: true });
        return topics.every((topic) => {
          const partitions = known.get(topic)?.partitions ?? [];
          return partitions.length > 0 && partitions.every((partition) => partition.leader >= 0);
        });
      },
      { description: `leaders for ${topics.join(', ')}`, timeoutMs: 30_000 },
    );
  }, options);
}

/** Delete the topics that exist among `topics`, or every topic `topics` selects. */
export async function deleteTopics(
  topics: readonly string[] | ((topic: string) => boolean),
  target?: KafkaTarget,
): Promise<void> {
  await withKafkaAdmin(async (admin) => {
    const existing = await admin.listTopics();
    const present = existing.filter(
      typeof topics === 'function' ? topics : (topic: string) => topics.includes(topic),
    );
    if (present.length > 0) await admin.deleteTopics({ topics: present });
  }, target);
}

/** Wait until `topic` exists (Debezium creates a table's topic with its first change). */
export async function waitForTopic(topic: string, timeoutMs = 60_000, target?: KafkaTarget): Promise<void> {
  await withKafkaAdmin(
    (admin) =>
      waitFor(async () => (await admin.listTopics()).includes(topic), {
        timeoutMs,
        description: `topic ${topic}`,
      }),
    target,
  );
}

type Bytes = string | Buffer;

/** A record to write; a header given several values is written once per value, in order. */
export interface RawRecord {
  readonly key?: Bytes | null;
  readonly value: Bytes | null;
  readonly partition?: number;
  readonly headers?: Readonly<Record<string, Bytes | readonly Bytes[]>>;
}

/**
 * A producer of raw records (no compression: what a test or a benchmark writes). Idempotent, because the client
 * retries a whole produce request when one partition of it fails (a new topic's leader not ready yet, a
 * timeout), and without the broker's de-duplication the partitions that had succeeded get their records twice.
 */
export interface RawProducer {
  /** Write `records` to `topic`; `acks` default -1 (every in-sync replica). */
  send(topic: string, records: readonly RawRecord[], acks?: number): Promise<void>;
  close(): Promise<void>;
}

const bytes = (value: Bytes | null | undefined): Buffer | undefined =>
  value === null || value === undefined ? undefined : Buffer.from(value);

/** A {@link RawProducer} on the stack's Kafka (or on `target.brokers`). */
export function createRawProducer(target?: KafkaTarget): RawProducer {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    ...stackKafkaClient(target),
    idempotent: true,
    // Idempotence alone would retry for ever; a test should fail instead.
    retries: 10,
  });
  return {
    async send(topic, records, acks = -1) {
      await producer.send({
        acks,
        messages: records.map((record) => {
          // The client writes a Map's entries: a fresh Buffer per value keeps a repeated name.
          const headers = new Map<Buffer, Buffer>();
          for (const [name, values] of Object.entries(record.headers ?? {})) {
            for (const value of typeof values === 'string' || Buffer.isBuffer(values) ? [values] : values) {
              headers.set(Buffer.from(name), Buffer.from(value));
            }
          }
          return {
            topic,
            key: bytes(record.key),
            value: bytes(record.value),
            headers,
            ...(record.partition === undefined ? {} : { partition: record.partition }),
          };
        }),
      });
    },
    close: () => producer.close(),
  };
}

/** Write `records` to `topic` with a producer of its own. */
export async function produce(
  topic: string,
  records: readonly RawRecord[],
  target?: KafkaTarget,
): Promise<void> {
  const producer = createRawProducer(target);
  try {
    await producer.send(topic, records);
  } finally {
    await producer.close();
  }
}
