import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { stackEndpoints } from './stack-endpoints';
import { uniqueName } from './unique-name';
import { waitFor } from './wait-for';

/** One record read from Kafka, key and value decoded as UTF-8 (`null` for a tombstone or a missing key). */
export interface TopicMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  readonly timestamp: string;
  /** Headers as UTF-8 text, every value of a repeated name in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

/** Options of {@link createTopicReader}. */
export interface TopicReaderOptions {
  /** Topic(s) to read; missing ones are created with the broker's defaults (3 partitions on the stack). */
  readonly topics: string | readonly string[];
  /** Start at the earliest offset (default) or only read what arrives after the group joined. */
  readonly fromBeginning?: boolean;
  /** Use this client (never disconnected by the reader) instead of one on the stack's broker. */
  readonly kafka?: Kafka;
  /** Consumer group. Default: a {@link uniqueName}. */
  readonly groupId?: string;
}

/** A consumer collecting every message of its topics in the background. */
export interface TopicReader {
  /** Everything read so far, in arrival order (ordered within a partition). */
  readonly messages: readonly TopicMessage[];
  /** Wait until `until(messages)` holds; throws after `timeoutMs` (default 30 000) naming `description`. */
  waitFor(
    until: (messages: readonly TopicMessage[]) => boolean,
    options?: { readonly timeoutMs?: number; readonly description?: string },
  ): Promise<readonly TopicMessage[]>;
  /** Stop consuming and disconnect. Idempotent. */
  close(): Promise<void>;
}

/**
 * Start a consumer that collects the messages of `topics` until closed.
 *
 * @example
 * const reader = await createTopicReader({ topics: connector.topicFor('users') })
 * await pg.query('INSERT INTO users VALUES (1)')
 * await reader.waitFor((messages) => messages.length >= 1, { description: 'the insert event' })
 * await reader.close()
 */
export async function createTopicReader(options: TopicReaderOptions): Promise<TopicReader> {
  const kafka =
    options.kafka ??
    new Kafka({
      clientId: 'cdc-cache-tests',
      brokers: [...stackEndpoints().kafka.brokers],
      logLevel: logLevel.NOTHING,
    });
  const topics = typeof options.topics === 'string' ? [options.topics] : [...options.topics];
  const groupId = options.groupId ?? uniqueName('reader');
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, retry: { retries: 10 } });
  const messages: TopicMessage[] = [];
  let closed = false;

  // Subscribing to a topic that the broker is still auto-creating fails: create missing topics up front.
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      // Resolves (false) when someone else created it in between.
      await admin.createTopics({ topics: missing.map((topic) => ({ topic })), waitForLeaders: true });
    }
  } finally {
    await admin.disconnect();
  }

  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: options.fromBeginning ?? true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value: message.value?.toString('utf8') ?? null,
          timestamp: message.timestamp,
          headers: Object.fromEntries(
            Object.entries(message.headers ?? {}).map(([name, value]) => [
              name,
              (Array.isArray(value) ? value : [value]).map((one) => String(one)),
            ]),
          ),
        });
      },
    });
  } catch (error) {
    await consumer.disconnect();
    throw error;
  }

  return {
    messages,
    waitFor: async (until, waitOptions = {}) => {
      try {
        await waitFor(() => until(messages), {
          description: `${waitOptions.description ?? 'the expected messages'} on ${topics.join(', ')}`,
          timeoutMs: waitOptions.timeoutMs ?? 30_000,
          intervalMs: 50,
        });
      } catch (error) {
        // Say what did arrive: usually the quickest way to see why the condition never held.
        const seen = messages
          .slice(-5)
          .map((m) => `${m.topic}[${m.partition}]@${m.offset}: ${m.value?.slice(0, 200)}`);
        throw new Error(
          `${(error as Error).message}; read ${messages.length} message(s), the last: ${seen.join(' | ') || '-'}`,
          {
            cause: error,
          },
        );
      }
      return messages;
    },
    close: async () => {
      if (closed) return;
      closed = true;
      await consumer.disconnect();
    },
  };
}

/**
 * Read `topics` from the beginning until `until(messages)` holds, then close the consumer.
 *
 * @example
 * const messages = await readTopicUntil({ topics: 'orders', until: (m) => m.length >= 3, timeoutMs: 20_000 })
 */
export async function readTopicUntil(
  options: TopicReaderOptions & {
    readonly until: (messages: readonly TopicMessage[]) => boolean;
    readonly timeoutMs?: number;
    readonly description?: string;
  },
): Promise<readonly TopicMessage[]> {
  const reader = await createTopicReader(options);
  try {
    return await reader.waitFor(options.until, options);
  } finally {
    await reader.close();
  }
}
