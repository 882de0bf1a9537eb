// A partition's next batch starts as soon as its own previous batch is done: a slow partition does not hold
// back the others. The port used to read, hand every partition of the read to the handler and wait for all of
// them before reading again, so one slow partition delayed every other partition's next messages.
import { createKafkaConsumer, type KafkaConsumerPort, kafkaClientConfig } from '../../../src/sources/kafka';
import { BROKERS, createTopic, deleteTopics, produce, uniqueName, waitFor } from './kafka-chain';

jest.setTimeout(120_000);

const topic = uniqueName('lanes');
const client = kafkaClientConfig({ brokers: BROKERS, clientId: uniqueName('lanes') });
let consumer: KafkaConsumerPort | undefined;

const toPartition = (partition: number, from: number, count: number) =>
  Array.from({ length: count }, (_, index) => ({ partition, value: `p${partition} m${from + index}` }));

beforeAll(async () => {
  await createTopic(topic, 2);
});

afterAll(async () => {
  await consumer?.stop();
  await deleteTopics([topic]);
});

describe('the Kafka consumer port', () => {
  it("hands a partition its next messages while another partition's batch is still in the handler", async () => {
    // Prepare: partition 0's first batch blocks in the handler until released
    let release = () => {};
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    let partition0Started = false;
    const seen = new Set<string>();
    consumer = createKafkaConsumer({ kafka: client, groupId: uniqueName('lanes-group'), topics: [topic] });
    await consumer.run(async (batch, control) => {
      if (batch.partition === 0 && !partition0Started) {
        partition0Started = true;
        await blocked;
      }
      for (const message of batch.messages) seen.add(`${batch.partition}:${message.offset}`);
      control.resolveOffset(batch.messages[batch.messages.length - 1]!.offset);
    });
    await produce(topic, [...toPartition(0, 0, 5), ...toPartition(1, 0, 5)]);
    await waitFor(() => partition0Started && seen.has('1:4'), {
      description: "partition 0's batch blocked and partition 1's first messages handled",
    });

    // Act: partition 1 receives more messages while partition 0's batch is still blocked
    await produce(topic, toPartition(1, 5, 5));

    // Assess: they are handled without waiting for partition 0
    try {
      await waitFor(() => seen.has('1:9'), {
        timeoutMs: 15_000,
        description: "partition 1's later messages handled while partition 0 is blocked",
      });
      expect([...seen].some((entry) => entry.startsWith('0:'))).toBe(false);
    } finally {
      release();
    }
    await waitFor(() => seen.has('0:4'), { description: "partition 0's messages handled once released" });
  });
});
