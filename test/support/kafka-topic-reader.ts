import { Consumer, type MessagesStream, MessagesStreamModes } from '@platformatic/kafka';
import { createTopics, stackKafkaClient } from '../../scripts/stack/kafka-topics';
import { uniqueName } from './unique-name';
import { waitFor } from './wait-for';

/** One record read from Kafka, key and value decoded as UTF-8 (`null` for a tombstone or a missing key). */
export interface TopicMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: string | null;
  /** The value as written, for bytes that are not UTF-8. */
  readonly valueBytes: Buffer | null;
  readonly timestamp: string;
  /** When this reader received it, ms since the epoch. */
  readonly receivedAtMs: number;
  /** Headers as UTF-8 text, every value of a repeated name in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
}

/** Options of {@link createTopicReader}. */
export interface TopicReaderOptions {
  /** Topic(s) to read; missing ones are created with the broker's defaults (3 partitions on the stack). */
  readonly topics: string | readonly string[];
  /** Start at the earliest offset (default) or only read what arrives after the group joined. */
  readonly fromBeginning?: boolean;
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
  const topics = typeof options.topics === 'string' ? [options.topics] : [...options.topics];
  const groupId = options.groupId ?? uniqueName('reader');
  // Consuming a topic that the broker is still auto-creating fails: create missing topics up front.
  await createTopics(topics);
  const consumer = new Consumer({
    ...stackKafkaClient({ clientId: 'cdc-cache-tests' }),
    groupId,
    maxWaitTime: 100,
    retries: 10,
    deserializers: { headerKey: (data) => data?.toString('utf8') ?? '' },
  });
  const messages: TopicMessage[] = [];
  let failure: unknown;
  let closed = false;

  let stream: MessagesStream<Buffer, Buffer, string, Buffer>;
  try {
    stream = await consumer.consume({
      topics,
      mode: options.fromBeginning === false ? MessagesStreamModes.LATEST : MessagesStreamModes.EARLIEST,
    });
  } catch (error) {
    await consumer.close(true);
    throw error;
  }
  stream.on('data', (message) => {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of message.headerEntries) {
      headers[name] = [...(headers[name] ?? []), value.toString('utf8')];
    }
    messages.push({
      topic: message.topic,
      partition: message.partition,
      offset: String(message.offset),
      key: message.key?.toString('utf8') ?? null,
      value: message.value?.toString('utf8') ?? null,
      valueBytes: message.value ?? null,
      timestamp: String(message.timestamp),
      receivedAtMs: Date.now(),
      headers,
    });
  });
  // Kept for the timeout message of waitFor: a reader that stopped reading says why.
  stream.on('error', (error) => {
    failure = error;
  });

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
          `${(error as Error).message}; read ${messages.length} message(s), the last: ${seen.join(' | ') || '-'}${failure ? `; the stream failed: ${String(failure)}` : ''}`,
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
      await stream.close().catch(() => undefined);
      await consumer.close(true);
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
