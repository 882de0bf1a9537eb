import type { ChangeEvent } from '../../../src/core/change-event';
import type { EventOutcome, InvalidationEngine } from '../../../src/core/ports';
import { CdcCacheError } from '../../../src/errors';
import {
  createBatchHandler,
  type OutageListener,
} from '../../../src/runtimes/kafka-worker/create-batch-handler';
import { jsonMessageDecoder } from '../../../src/sources/debezium';
import type {
  BatchControl,
  ConsumedBatch,
  ConsumedMessage,
  KafkaProducerPort,
  ProducedMessage,
} from '../../../src/sources/kafka';

// Prepare helpers: record factories and recording fakes of the ports.

function changeMessage(offset: number, id: number, table = 'users'): ConsumedMessage {
  const value = {
    before: null,
    after: { id, email: `user${id}@example.com` },
    source: { connector: 'postgresql', schema: 'public', table, lsn: 1000 + offset, ts_ms: 1732360000000 },
    op: 'c',
  };
  return {
    offset: String(offset),
    key: Buffer.from(JSON.stringify({ id })),
    value: Buffer.from(JSON.stringify(value)),
    headers: {},
    timestamp: '1732360000000',
  };
}

function garbageMessage(offset: number): ConsumedMessage {
  return {
    offset: String(offset),
    key: Buffer.from('k'),
    value: Buffer.from([0xde, 0xad]),
    headers: { trace: ['abc', 'def'], origin: 'test' },
    timestamp: '1',
  };
}

/** A dead letter's headers, in order, as text. */
const headersOf = (message: ProducedMessage) =>
  (message.headers ?? []).map(([name, value]) => [name, String(value)] as const);
/** The value of one `cdc-cache.dlq.*` header of a dead letter. */
const dlq = (message: ProducedMessage, field: string) =>
  headersOf(message).find(([name]) => name === `cdc-cache.dlq.${field}`)?.[1];

function batchOf(messages: ConsumedMessage[], partition = 0): ConsumedBatch {
  return { topic: 'dbserver1.public.users', partition, messages };
}

function fakeControl(overrides: Partial<BatchControl> = {}) {
  const resolved: string[] = [];
  const state = { paused: 0, resumed: 0, heartbeats: 0 };
  const control: BatchControl = {
    resolveOffset: (offset) => resolved.push(offset),
    heartbeat: async () => {
      state.heartbeats++;
    },
    isRunning: () => true,
    isStale: () => false,
    pause: () => {
      state.paused++;
      return () => {
        state.resumed++;
      };
    },
    ...overrides,
  };
  return { control, resolved, state };
}

type ApplyBehaviour = (events: readonly ChangeEvent[]) => EventOutcome[];

function fakeEngine(
  behaviour: ApplyBehaviour = (events) => events.map(() => ({ status: 'applied', actions: 1 })),
) {
  const calls: ChangeEvent[][] = [];
  const engine: InvalidationEngine = {
    apply: async (events) => {
      calls.push([...events]);
      return behaviour(events);
    },
    close: async () => undefined,
  };
  return { engine, calls };
}

function fakeProducer(fail = false) {
  const sent: { topic: string; messages: ProducedMessage[] }[] = [];
  const producer: KafkaProducerPort = {
    send: async (topic, messages) => {
      if (fail) throw new Error('broker down');
      sent.push({ topic, messages: [...messages] });
    },
    close: async () => undefined,
  };
  return { producer, sent };
}

function fakeOutage() {
  const unavailable: { offset: string; error: unknown; resume: () => void }[] = [];
  let healthy = 0;
  const outage: OutageListener = {
    unavailable: (_partition, offset, resume, error) => unavailable.push({ offset, resume, error }),
    healthy: () => {
      healthy++;
    },
  };
  return { outage, unavailable, healthyCount: () => healthy };
}

function handlerWith(
  engine: InvalidationEngine,
  producer: KafkaProducerPort,
  outage: OutageListener,
  maxMessagesPerChunk = 100,
) {
  return createBatchHandler({
    decoder: jsonMessageDecoder,
    engine,
    producer,
    outage,
    deadLetterTopic: 'test.dlq',
    maxMessagesPerChunk,
  });
}

const redisDown = () => new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'Redis unreachable', { retriable: true });

describe('createBatchHandler', () => {
  it('applies a batch in one engine call and resolves its last offset afterwards', async () => {
    // Prepare
    const { engine, calls } = fakeEngine();
    const { producer, sent } = fakeProducer();
    const { outage } = fakeOutage();
    const { control, resolved, state } = fakeControl();
    const handler = handlerWith(engine, producer, outage);

    // Act
    await handler(batchOf([changeMessage(5, 1), changeMessage(6, 2), changeMessage(7, 3)]), control);

    // Assess
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((event) => event.after?.['id'])).toEqual([1, 2, 3]);
    expect(resolved).toEqual(['7']);
    expect(sent).toEqual([]);
    expect(state.heartbeats).toBe(1);
  });

  it('splits a large batch into chunks, resolving and heartbeating after each', async () => {
    const { engine, calls } = fakeEngine();
    const { control, resolved, state } = fakeControl();
    const handler = handlerWith(engine, fakeProducer().producer, fakeOutage().outage, 2);

    await handler(batchOf([0, 1, 2, 3, 4].map((offset) => changeMessage(offset, offset))), control);

    expect(calls.map((call) => call.length)).toEqual([2, 2, 1]);
    expect(resolved).toEqual(['1', '3', '4']);
    expect(state.heartbeats).toBe(3);
  });

  it("tells onChunkApplied each acknowledged chunk's partition and offsets, after resolving it", async () => {
    // Prepare
    const { engine } = fakeEngine();
    const { control, resolved } = fakeControl();
    const applied: object[] = [];
    const handler = createBatchHandler({
      decoder: jsonMessageDecoder,
      engine,
      producer: fakeProducer().producer,
      outage: fakeOutage().outage,
      deadLetterTopic: 'test.dlq',
      maxMessagesPerChunk: 2,
      onChunkApplied: ({ receivedAt, ...chunk }) => {
        expect(receivedAt).toBeGreaterThan(0);
        applied.push({ ...chunk, resolved: [...resolved] });
      },
    });

    // Act
    await handler(
      batchOf(
        [10, 11, 12].map((offset) => changeMessage(offset, offset)),
        3,
      ),
      control,
    );

    // Assess
    const chunk = { topic: 'dbserver1.public.users', partition: 3 };
    expect(applied).toEqual([
      { ...chunk, messages: 2, firstOffset: '10', lastOffset: '11', resolved: ['11'] },
      { ...chunk, messages: 1, firstOffset: '12', lastOffset: '12', resolved: ['11', '12'] },
    ]);
  });

  it('does not resolve anything until the engine resolves', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const engine: InvalidationEngine = {
      apply: async (events) => {
        await gate;
        return events.map(() => ({ status: 'applied', actions: 1 }));
      },
      close: async () => undefined,
    };
    const { control, resolved } = fakeControl();
    const done = handlerWith(
      engine,
      fakeProducer().producer,
      fakeOutage().outage,
    )(batchOf([changeMessage(1, 1)]), control);

    await Promise.resolve();
    expect(resolved).toEqual([]);
    release();
    await done;
    expect(resolved).toEqual(['1']);
  });

  it('dead-letters garbage with its original bytes, headers, position and error, then resolves past it', async () => {
    const { engine, calls } = fakeEngine();
    const { producer, sent } = fakeProducer();
    const { control, resolved } = fakeControl();

    await handlerWith(
      engine,
      producer,
      fakeOutage().outage,
    )(batchOf([changeMessage(10, 1), garbageMessage(11), changeMessage(12, 2)], 2), control);

    expect(calls[0]).toHaveLength(2);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.topic).toBe('test.dlq');
    const [letter] = sent[0]!.messages;
    expect(letter!.value).toEqual(Buffer.from([0xde, 0xad]));
    expect(letter!.key).toEqual(Buffer.from('k'));
    // The original headers first, a repeated one in full and in order, then the dead letter's.
    expect(headersOf(letter!)).toEqual([
      ['trace', 'abc'],
      ['trace', 'def'],
      ['origin', 'test'],
      ['cdc-cache.dlq.topic', 'dbserver1.public.users'],
      ['cdc-cache.dlq.partition', '2'],
      ['cdc-cache.dlq.offset', '11'],
      ['cdc-cache.dlq.timestamp', '1'],
      ['cdc-cache.dlq.error.code', 'CDC_DECODE_FAILED'],
      ['cdc-cache.dlq.error.message', expect.stringContaining('not JSON')],
      ['cdc-cache.dlq.failed-at', expect.stringMatching(/^\d+$/)],
      ['cdc-cache.dlq.runtime', 'kafka-worker'],
    ]);
    expect(resolved).toEqual(['12']);
  });

  it('dead-letters an event the engine reports as failed', async () => {
    const failed = new CdcCacheError('CDC_PLAN_FAILED', 'no key values');
    const { engine } = fakeEngine((events) =>
      events.map((event) =>
        event.after?.['id'] === 2 ? { status: 'failed', error: failed } : { status: 'applied', actions: 1 },
      ),
    );
    const { producer, sent } = fakeProducer();
    const { control, resolved } = fakeControl();

    await handlerWith(
      engine,
      producer,
      fakeOutage().outage,
    )(batchOf([changeMessage(1, 1), changeMessage(2, 2)]), control);

    expect(sent[0]!.messages.map((message) => dlq(message, 'offset'))).toEqual(['2']);
    expect(dlq(sent[0]!.messages[0]!, 'error.code')).toBe('CDC_PLAN_FAILED');
    expect(resolved).toEqual(['2']);
  });

  it('isolates the record behind an unexpected non-retriable engine throw', async () => {
    const { engine, calls } = fakeEngine((events) => {
      if (events.some((event) => event.after?.['id'] === 2)) throw new TypeError('bug');
      return events.map(() => ({ status: 'applied', actions: 1 }));
    });
    const { producer, sent } = fakeProducer();
    const { control, resolved } = fakeControl();

    await handlerWith(
      engine,
      producer,
      fakeOutage().outage,
    )(batchOf([changeMessage(1, 1), changeMessage(2, 2), changeMessage(3, 3)]), control);

    // Halves, in order: [1,2,3] throws, [1,2] throws, [1] and [2] alone, then [3].
    expect(calls.map((call) => call.length)).toEqual([3, 2, 1, 1, 1]);
    expect(sent[0]!.messages.map((message) => dlq(message, 'offset'))).toEqual(['2']);
    expect(resolved).toEqual(['3']);
  });

  it('on Redis unavailable: resolves nothing, pauses the partition and reports the first unapplied offset', async () => {
    const { engine } = fakeEngine(() => {
      throw redisDown();
    });
    const { outage, unavailable } = fakeOutage();
    const { control, resolved, state } = fakeControl();

    await handlerWith(
      engine,
      fakeProducer().producer,
      outage,
    )(batchOf([changeMessage(3, 1), changeMessage(4, 2)]), control);

    expect(resolved).toEqual([]);
    expect(state.paused).toBe(1);
    expect(unavailable.map((entry) => entry.offset)).toEqual(['3']);
    expect((unavailable[0]!.error as CdcCacheError).code).toBe('CDC_REDIS_UNAVAILABLE');
    unavailable[0]!.resume();
    expect(state.resumed).toBe(1);
  });

  it('keeps the chunks applied before an outage resolved, and stops at the failing chunk', async () => {
    let call = 0;
    const { engine } = fakeEngine((events) => {
      if (++call === 2) throw redisDown();
      return events.map(() => ({ status: 'applied', actions: 1 }));
    });
    const { outage, unavailable } = fakeOutage();
    const { control, resolved } = fakeControl();

    await handlerWith(
      engine,
      fakeProducer().producer,
      outage,
      2,
    )(batchOf([0, 1, 2, 3, 4, 5].map((offset) => changeMessage(offset, offset))), control);

    expect(resolved).toEqual(['1']);
    expect(unavailable.map((entry) => entry.offset)).toEqual(['2']);
  });

  it('treats a dead-letter topic that cannot be written like an outage: nothing resolved', async () => {
    const { outage, unavailable } = fakeOutage();
    const { control, resolved } = fakeControl();

    await handlerWith(
      fakeEngine().engine,
      fakeProducer(true).producer,
      outage,
    )(batchOf([changeMessage(1, 1), garbageMessage(2)]), control);

    expect(resolved).toEqual([]);
    expect(unavailable).toHaveLength(1);
    expect((unavailable[0]!.error as CdcCacheError).retriable).toBe(true);
  });

  it('resolves nothing when the partition was revoked while applying', async () => {
    let stale = false;
    const { engine } = fakeEngine((events) => {
      stale = true;
      return events.map(() => ({ status: 'applied', actions: 1 }));
    });
    const { control, resolved } = fakeControl({ isStale: () => stale });

    await handlerWith(
      engine,
      fakeProducer().producer,
      fakeOutage().outage,
    )(batchOf([changeMessage(1, 1)]), control);

    expect(resolved).toEqual([]);
  });

  it('stops between chunks once the consumer is stopping', async () => {
    let running = true;
    const { engine, calls } = fakeEngine((events) => {
      running = false;
      return events.map(() => ({ status: 'applied', actions: 1 }));
    });
    const { control, resolved } = fakeControl({ isRunning: () => running });

    await handlerWith(
      engine,
      fakeProducer().producer,
      fakeOutage().outage,
      2,
    )(batchOf([0, 1, 2, 3].map((offset) => changeMessage(offset, offset))), control);

    expect(calls).toHaveLength(1);
    expect(resolved).toEqual(['1']);
  });

  it('resolves tombstones and heartbeats without calling the engine', async () => {
    const { engine, calls } = fakeEngine();
    const { control, resolved } = fakeControl();
    const tombstone: ConsumedMessage = {
      offset: '8',
      key: Buffer.from('{"id":1}'),
      value: null,
      headers: {},
      timestamp: '1',
    };

    await handlerWith(engine, fakeProducer().producer, fakeOutage().outage)(batchOf([tombstone]), control);

    expect(calls).toEqual([]);
    expect(resolved).toEqual(['8']);
  });
});
