import type { InvalidationEngine } from '../../../src/core/ports';
import { CdcCacheError } from '../../../src/errors';
import { createKafkaWorker } from '../../../src/runtimes/kafka-worker/create-kafka-worker';
import type {
  BatchControl,
  BatchHandler,
  ConsumedBatch,
  KafkaConsumerPort,
  KafkaProducerPort,
  TopicPartition,
} from '../../../src/sources/kafka';

function fakeConsumer() {
  const log: string[] = [];
  let handler: BatchHandler | undefined;
  const consumer: KafkaConsumerPort = {
    run: async (given) => {
      handler = given;
    },
    stop: async () => {
      log.push('stop');
    },
    pause: () => undefined,
    resume: (partitions: readonly TopicPartition[]) => log.push(`resume ${partitions.length}`),
    seek: ({ topic, partition, offset }) => log.push(`seek ${topic}:${partition}@${offset}`),
    status: () => ({ connected: true, joined: true, assignment: { t: [0] } }),
    onFatal: () => undefined,
    lag: async () => [],
  };
  return { consumer, log, handler: () => handler! };
}

const producer: KafkaProducerPort = { send: async () => undefined, close: async () => undefined };

const batch: ConsumedBatch = {
  topic: 't',
  partition: 0,
  messages: [
    {
      offset: '4',
      key: null,
      value: Buffer.from(
        JSON.stringify({
          op: 'c',
          after: { id: 1 },
          source: { connector: 'postgresql', schema: 'public', table: 'users', lsn: 1 },
        }),
      ),
      headers: {},
      timestamp: '1',
    },
  ],
};

function control(log: string[]): BatchControl {
  return {
    resolveOffset: (offset) => log.push(`resolve ${offset}`),
    heartbeat: async () => undefined,
    isRunning: () => true,
    isStale: () => false,
    pause: () => {
      log.push('pause');
      return () => log.push('resume-partition');
    },
  };
}

describe('createKafkaWorker', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('pauses while Redis is down, then seeks back and resumes after a backoff, and applies on retry', async () => {
    // Prepare
    let redisUp = false;
    const engine: InvalidationEngine = {
      apply: async (events) => {
        if (!redisUp) throw new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'down', { retriable: true });
        return events.map(() => ({ status: 'applied', actions: 1 }));
      },
      close: async () => undefined,
    };
    const { consumer, log, handler } = fakeConsumer();
    const worker = createKafkaWorker({
      consumer,
      producer,
      engine,
      backoff: { initialDelayMs: 1000, maxDelayMs: 8000, jitter: 0 },
    });
    await worker.start();

    // Act: the first attempt fails
    await handler()(batch, control(log));

    // Assess: paused, nothing resolved, no retry before the backoff
    expect(log).toEqual(['pause']);
    jest.advanceTimersByTime(999);
    expect(log).toEqual(['pause']);
    jest.advanceTimersByTime(1);
    expect(log).toEqual(['pause', 'seek t:0@4', 'resume-partition']);

    // Act: Redis is back; the refetched batch applies
    redisUp = true;
    await handler()(batch, control(log));
    expect(log.slice(3)).toEqual(['resolve 4']);
  });

  it('backs off exponentially up to the bound across repeated failures', async () => {
    const engine: InvalidationEngine = {
      apply: async () => {
        throw new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'down', { retriable: true });
      },
      close: async () => undefined,
    };
    const { consumer, log, handler } = fakeConsumer();
    const worker = createKafkaWorker({
      consumer,
      producer,
      engine,
      backoff: { initialDelayMs: 100, maxDelayMs: 300, jitter: 0 },
    });
    await worker.start();
    const waits: number[] = [];

    for (let attempt = 0; attempt < 4; attempt++) {
      await handler()(batch, control(log));
      const before = log.length;
      let waited = 0;
      while (log.length === before) {
        jest.advanceTimersByTime(10);
        waited += 10;
      }
      waits.push(waited);
    }

    expect(waits).toEqual([100, 200, 300, 300]);
  });

  it('stops the consumer and the producer, and cancels a pending retry', async () => {
    const engine: InvalidationEngine = {
      apply: async () => {
        throw new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'down', { retriable: true });
      },
      close: async () => undefined,
    };
    const { consumer, log, handler } = fakeConsumer();
    const worker = createKafkaWorker({ consumer, producer, engine });
    await worker.start();
    await handler()(batch, control(log));

    await worker.stop();
    jest.advanceTimersByTime(60_000);

    expect(log).toEqual(['pause', 'stop']);
    expect(worker.isReady()).toBe(false);
  });
});
