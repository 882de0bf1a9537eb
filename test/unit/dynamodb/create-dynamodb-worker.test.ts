import pino from 'pino';
import type { ChangeEvent } from '../../../src/core/change-event';
import type { EventOutcome, InvalidationEngine } from '../../../src/core/ports';
import { CdcCacheError } from '../../../src/errors';
import { defineKeyspace } from '../../../src/keyspace';
import {
  createDynamoDbWorker,
  type DynamoDbWorker,
  type StreamDeadLetter,
} from '../../../src/runtimes/dynamodb-worker';
import { waitFor } from '../../support/wait-for';
import { dynamodbRecordFactory } from './dynamodb-record-factory';
import { fakeStream, memoryShardStores } from './stream-fakes';

const keyspace = defineKeyspace({
  product: { key: 'product:{sku}', ttl: '5m', sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }] },
});
const record = (pk: string, sequenceNumber: string) =>
  dynamodbRecordFactory({ keys: { pk }, sequenceNumber });
const workers: DynamoDbWorker[] = [];

function recordingEngine() {
  const applied: ChangeEvent[] = [];
  let outage = 0;
  const engine: InvalidationEngine = {
    async apply(events) {
      if (outage > 0) {
        outage--;
        throw new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'down', { retriable: true });
      }
      applied.push(...events);
      return events.map((): EventOutcome => ({ status: 'applied', actions: 1 }));
    },
    async close() {},
  };
  return { engine, applied, failTimes: (times: number) => (outage = times) };
}

function setup() {
  const stream = fakeStream('Products');
  const stores = memoryShardStores();
  const { engine, applied, failTimes } = recordingEngine();
  const letters: StreamDeadLetter[] = [];
  const worker = (owner = 'w1') => {
    const created = createDynamoDbWorker({
      table: 'Products',
      keyspace,
      engine,
      reader: stream.reader,
      store: stores.storeFor(owner),
      deadLetters: async (batch) => {
        letters.push(...batch);
      },
      logger: pino({ level: 'silent' }),
      idleMs: 5,
      discoveryMs: 20,
      leaseMs: 60_000,
      retryMaxMs: 20,
    });
    workers.push(created);
    return created;
  };
  const appliedKeys = () =>
    applied.map((event) => (event.op === 'truncate' ? 'TRUNCATE' : (event.key as { pk: string }).pk));
  return { stream, stores, worker, applied, appliedKeys, letters, failTimes };
}

afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.stop()));
});

describe('createDynamoDbWorker', () => {
  it('reads a parent shard to its end before any of its children, across a split', async () => {
    // Prepare
    const { stream, worker, appliedKeys } = setup();
    stream.addShard(
      'parent',
      null,
      [record('A', '100000000000000000001'), record('A', '100000000000000000002')],
      true,
    );
    stream.addShard('child-1', 'parent', [record('A', '100000000000000000003')], true);
    stream.addShard('child-2', 'parent', [record('B', '100000000000000000004')]);
    stream.addShard('grandchild', 'child-1', [record('A', '100000000000000000005')]);

    // Act
    await worker().start();

    // Assess
    await waitFor(() => stream.reads.length === 5 || undefined, {
      description: 'all records',
      timeoutMs: 5_000,
    });
    const at = (shard: string) => stream.reads.findIndex((read) => read.startsWith(`${shard}:`));
    const lastOf = (shard: string) =>
      stream.reads.map((read) => read.startsWith(`${shard}:`)).lastIndexOf(true);
    expect(lastOf('parent')).toBeLessThan(at('child-1'));
    expect(lastOf('parent')).toBeLessThan(at('child-2'));
    expect(lastOf('child-1')).toBeLessThan(at('grandchild'));
    expect(appliedKeys().filter((key) => key === 'A')).toHaveLength(4);
  });

  it('checkpoints only after the engine applied a page, and retries the page through a Redis outage', async () => {
    // Prepare
    const { stream, stores, worker, appliedKeys, failTimes } = setup();
    stream.addShard('s1', null, [record('A', '100000000000000000001'), record('B', '100000000000000000002')]);
    failTimes(3);

    // Act
    await worker().start();

    // Assess
    await waitFor(() => stores.states.get('s1')?.seq === '100000000000000000002' || undefined, {
      description: 'checkpoint after the outage',
      timeoutMs: 5_000,
    });
    expect(appliedKeys()).toEqual(['A', 'B']);
  });

  it('re-creates an expired iterator from the checkpoint without losing or repeating records', async () => {
    // Prepare
    const { stream, worker, appliedKeys } = setup();
    stream.addShard('s1', null, [record('A', '100000000000000000001')]);
    await worker().start();
    await waitFor(() => appliedKeys().length === 1 || undefined, {
      description: 'first record',
      timeoutMs: 5_000,
    });

    // Act
    stream.failNext('getRecords', 'expired-iterator');
    stream.append('s1', record('B', '100000000000000000002'));

    // Assess
    await waitFor(() => appliedKeys().length === 2 || undefined, {
      description: 'second record',
      timeoutMs: 5_000,
    });
    expect(appliedKeys()).toEqual(['A', 'B']);
  });

  it('invalidates the whole table when records were trimmed before being read, then goes on from the trim horizon', async () => {
    // Prepare
    const { stream, stores, worker, appliedKeys } = setup();
    stream.addShard(
      's1',
      null,
      [1, 2, 3, 4].map((n) => record(`K${n}`, `10000000000000000000${n}`)),
    );
    stores.states.set('s1', { seq: '100000000000000000001' });
    stream.trim('s1', 3);

    // Act
    await worker().start();

    // Assess
    await waitFor(() => appliedKeys().length === 2 || undefined, {
      description: 'truncate, then the retained records',
      timeoutMs: 5_000,
    });
    expect(appliedKeys()).toEqual(['TRUNCATE', 'K4']);
  });

  it('dead-letters undecodable records and checkpoints past them', async () => {
    // Prepare
    const { stream, stores, worker, appliedKeys, letters } = setup();
    const poison = record('X', '100000000000000000002');
    delete poison.dynamodb!.Keys;
    stream.addShard('s1', null, [
      record('A', '100000000000000000001'),
      poison,
      record('B', '100000000000000000003'),
    ]);

    // Act
    await worker().start();

    // Assess
    await waitFor(() => stores.states.get('s1')?.seq === '100000000000000000003' || undefined, {
      description: 'checkpoint',
      timeoutMs: 5_000,
    });
    expect(appliedKeys()).toEqual(['A', 'B']);
    expect(
      letters.map((letter) => [letter.shardId, letter.record.dynamodb?.SequenceNumber, letter.error.code]),
    ).toEqual([['s1', '100000000000000000002', 'CDC_DECODE_FAILED']]);
  });

  it('splits shards between two workers and never reads one shard twice', async () => {
    // Prepare
    const { stream, worker, appliedKeys } = setup();
    for (const id of ['s1', 's2', 's3', 's4'])
      stream.addShard(id, null, [record(id, `1000000000000000000${id.slice(1)}0`)]);
    const [first, second] = [worker('w1'), worker('w2')];

    // Act
    await first.start();
    await second.start();

    // Assess
    await waitFor(() => (first.heldShards().length === 2 && second.heldShards().length === 2) || undefined, {
      description: 'two shards each',
      timeoutMs: 5_000,
    });
    expect(new Set([...first.heldShards(), ...second.heldShards()]).size).toBe(4);
    await waitFor(() => appliedKeys().length === 4 || undefined, {
      description: 'all records',
      timeoutMs: 5_000,
    });
    expect(appliedKeys().sort()).toEqual(['s1', 's2', 's3', 's4']);
  });

  it('names a bad option', () => {
    expect(() => setupWorkerWith({ batchSize: 5000 })).toThrow(/batchSize: at most 1000/);
    expect(() => setupWorkerWith({ idleMs: -1 })).toThrow(/idleMs: must be a positive integer/);
  });
});

function setupWorkerWith(overrides: Record<string, unknown>) {
  const stream = fakeStream('Products');
  return createDynamoDbWorker({
    table: 'Products',
    keyspace,
    engine: recordingEngine().engine,
    reader: stream.reader,
    store: memoryShardStores().storeFor('w'),
    deadLetters: async () => undefined,
    logger: pino({ level: 'silent' }),
    ...overrides,
  });
}
