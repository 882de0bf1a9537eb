// The worker's lag metric used to read ~0: the client hands no high watermark to its stream, so the adapter
// reported the last offset fetched as one. The port now asks the brokers (ListOffsets) for the high watermark
// and counts from the offset after the last message resolved.
import { createKafkaConsumer, type KafkaConsumerPort, kafkaClientConfig } from '../../../src/sources/kafka';
import { BROKERS, createTopic, deleteTopics, produce, uniqueName, waitFor } from './kafka-chain';

jest.setTimeout(120_000);

const topic = uniqueName('lag');
const client = kafkaClientConfig({ brokers: BROKERS, clientId: uniqueName('lag') });
let consumer: KafkaConsumerPort | undefined;

beforeAll(async () => {
  await createTopic(topic, 1);
  await produce(
    topic,
    Array.from({ length: 20 }, (_, index) => ({ key: String(index), value: `message ${index}` })),
  );
});

afterAll(async () => {
  await consumer?.stop();
  await deleteTopics([topic]);
});

describe('the Kafka consumer port', () => {
  it('reports the lag of each owned partition: high watermark minus the position after what was resolved', async () => {
    // Prepare: a handler that resolves the first 5 messages only, then holds the rest
    let resolvedUpTo = -1;
    consumer = createKafkaConsumer({ kafka: client, groupId: uniqueName('lag-group'), topics: [topic] });
    await consumer.run(async (batch, control) => {
      for (const message of batch.messages) {
        if (Number(message.offset) > 4) return;
        control.resolveOffset(message.offset);
        resolvedUpTo = Number(message.offset);
      }
    });
    await waitFor(() => resolvedUpTo === 4, { description: 'the first five messages resolved' });

    // Act
    const lag = await consumer.lag();

    // Assess
    expect(lag).toEqual([{ topic, partition: 0, lag: 15 }]);
  });
});
