// The worker's consumer group runs on @platformatic/kafka with the settings the docs give: fetches of at most
// 1 MiB per partition (the client's own default is its whole 50 MiB response), offsets committed only once
// resolved, the classic group protocol by default and KIP-848's `consumer` protocol on request.
import type { Channel } from 'node:diagnostics_channel';
import { Admin, consumerFetchesChannel } from '@platformatic/kafka';
import {
  type ConsumedBatch,
  createKafkaConsumer,
  KAFKA_CONSUMER_DEFAULTS,
  type KafkaConsumerPort,
  kafkaClientConfig,
} from '../../../src/sources/kafka';
import { BROKERS, createTopic, deleteTopics, produce, uniqueName, waitFor } from './kafka-chain';

jest.setTimeout(120_000);

const topic = uniqueName('settings');
const client = kafkaClientConfig({ brokers: BROKERS, clientId: uniqueName('settings') });
const MESSAGES = 30;

interface FetchContext {
  client: { groupId?: string };
  options: { maxBytes?: number; topics: { partitions: { partitionMaxBytes?: number }[] }[] };
}

/** Run a consumer until it has seen every message; record its fetch requests. */
async function consumeAll(groupId: string, groupProtocol?: 'classic' | 'consumer') {
  const fetches: FetchContext['options'][] = [];
  const onFetch = (context: unknown) => {
    const fetch = context as FetchContext;
    if (fetch.client.groupId === groupId) fetches.push(fetch.options);
  };
  const start = consumerFetchesChannel.start as Channel<string, object>;
  start.subscribe(onFetch);
  const seen = new Set<string>();
  const consumer: KafkaConsumerPort = createKafkaConsumer({
    kafka: client,
    groupId,
    topics: [topic],
    ...(groupProtocol ? { groupProtocol } : {}),
  });
  await consumer.run(async (batch: ConsumedBatch, control) => {
    for (const message of batch.messages) seen.add(`${batch.partition}:${message.offset}`);
    control.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
  });
  await waitFor(() => seen.size >= MESSAGES, { description: `${groupId} consumed ${MESSAGES} messages` });
  return { consumer, fetches, seen, unsubscribe: () => start.unsubscribe(onFetch) };
}

const admin = new Admin({ ...client, clientId: uniqueName('settings-admin') });

beforeAll(async () => {
  await createTopic(topic, 3);
  await produce(
    topic,
    Array.from({ length: MESSAGES }, (_, index) => ({ key: String(index), value: `message ${index}` })),
  );
});

afterAll(async () => {
  await admin.close();
  await deleteTopics([topic]);
});

describe('the Kafka consumer group settings', () => {
  it('fetches at most 1 MiB per partition and joins a classic group with the roundrobin assignor', async () => {
    // Act
    const groupId = uniqueName('classic');
    const { consumer, fetches, seen, unsubscribe } = await consumeAll(groupId);
    try {
      const groups = await admin.describeGroups({ groups: [groupId] });

      // Assess
      expect(seen.size).toBe(MESSAGES);
      expect(fetches.length).toBeGreaterThan(0);
      const perPartition = fetches.flatMap((fetch) =>
        fetch.topics.flatMap((entry) => entry.partitions.map((partition) => partition.partitionMaxBytes)),
      );
      expect(new Set(perPartition)).toEqual(new Set([KAFKA_CONSUMER_DEFAULTS.maxBytesPerPartition]));
      expect(KAFKA_CONSUMER_DEFAULTS.maxBytesPerPartition).toBe(1_048_576);
      expect(new Set(fetches.map((fetch) => fetch.maxBytes))).toEqual(
        new Set([KAFKA_CONSUMER_DEFAULTS.maxBytes]),
      );
      const group = groups.get(groupId)!;
      expect(group).toMatchObject({ protocolType: 'consumer', protocol: 'roundrobin', state: 'Stable' });
      expect(consumer.status()).toMatchObject({ connected: true, joined: true });
    } finally {
      unsubscribe();
      await consumer.stop();
    }
    // Resolved offsets were committed: every partition's committed offset is its end.
    const committed = await admin.listConsumerGroupOffsets({ groups: [groupId] });
    const offsets = committed.flatMap((group) =>
      group.topics.flatMap((entry) => entry.partitions.map((partition) => Number(partition.committedOffset))),
    );
    expect(offsets.reduce((sum, offset) => sum + offset, 0)).toBe(MESSAGES);
  });

  it('consumes with the KIP-848 consumer group protocol when asked', async () => {
    // Act
    const groupId = uniqueName('kip848');
    const { consumer, seen, unsubscribe } = await consumeAll(groupId, 'consumer');
    try {
      const groups = await admin.listGroups({ types: ['consumer'] });

      // Assess
      expect(seen.size).toBe(MESSAGES);
      expect(groups.get(groupId)).toMatchObject({ groupType: 'consumer' });
    } finally {
      unsubscribe();
      await consumer.stop();
    }
  });

  it('re-reads a paused partition from its committed offset once resumed, with messages still buffered', async () => {
    // Prepare: every partition paused at its first batch; more messages arrive while they are paused
    const pausedTopic = uniqueName('paused');
    await createTopic(pausedTopic, 3);
    const batch = (from: number) =>
      Array.from({ length: MESSAGES }, (_, index) => ({
        key: String(from + index),
        value: `m ${from + index}`,
      }));
    await produce(pausedTopic, batch(0));
    const groupId = uniqueName('pause');
    const pausedPartitions = new Set<number>();
    const seen = new Set<string>();
    const consumer = createKafkaConsumer({ kafka: client, groupId, topics: [pausedTopic] });

    // Act
    await consumer.run(async (consumed, control) => {
      if (!pausedPartitions.has(consumed.partition)) {
        pausedPartitions.add(consumed.partition);
        const resume = control.pause();
        // Resumed by a timer: the event loop must keep turning while every partition is paused.
        setTimeout(resume, 3_000);
        return;
      }
      for (const message of consumed.messages) seen.add(`${consumed.partition}:${message.offset}`);
      control.resolveOffset(consumed.messages[consumed.messages.length - 1]!.offset);
    });
    try {
      await waitFor(() => pausedPartitions.size === 3, { description: 'every partition paused' });
      await produce(pausedTopic, batch(MESSAGES));

      // Assess: every message, including each paused batch, is delivered after the resume
      await waitFor(() => seen.size >= 2 * MESSAGES, {
        description: `${groupId} consumed all ${2 * MESSAGES} messages`,
      });
    } finally {
      await consumer.stop();
      await deleteTopics([pausedTopic]);
    }
  });
});
