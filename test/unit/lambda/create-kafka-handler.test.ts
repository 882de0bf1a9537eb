import type { MSKRecord } from 'aws-lambda';
import { CdcCacheError } from '../../../src/errors';
import { keyspaceFromData } from '../../../src/keyspace';
import {
  createEmfMetrics,
  createKafkaHandler,
  type KafkaDeadLetter,
  toDebeziumRecord,
} from '../../../src/lambda';
import { fakeEngine } from './fake-engine';

let offset = 0;
function mskRecord(value: unknown, overrides: Partial<MSKRecord> = {}): MSKRecord {
  offset += 1;
  const base64 = (data: unknown) =>
    Buffer.from(typeof data === 'string' ? data : JSON.stringify(data)).toString('base64');
  return {
    topic: 'dbserver1.public.users',
    partition: 0,
    offset,
    timestamp: 1_764_000_000_000,
    timestampType: 'CREATE_TIME',
    key: base64({ id: offset }),
    value: base64(value),
    headers: [{ trace: [104, 105] }],
    ...overrides,
  };
}

function debeziumUpdate(id: number) {
  return {
    op: 'u',
    before: { id, email: `old${id}@example.com` },
    after: { id, email: `new${id}@example.com` },
    source: { connector: 'postgresql', schema: 'public', table: 'users', lsn: 1000 + id, txId: 1, ts_ms: 1 },
    ts_ms: 1,
  };
}

function setup(decide?: Parameters<typeof fakeEngine>[0]) {
  const { engine, calls } = fakeEngine(decide);
  const letters: KafkaDeadLetter[] = [];
  const emf: string[] = [];
  const handler = createKafkaHandler({
    engine,
    deadLetter: async (batch) => {
      letters.push(...batch);
    },
    metrics: createEmfMetrics({ dimensions: { runtime: 'kafka-lambda' }, write: (line) => emf.push(line) }),
  });
  return { handler, calls, letters, emf };
}

const event = (records: MSKRecord[]) => ({
  eventSource: 'aws:kafka' as const,
  eventSourceArn: 'arn:aws:kafka:us-east-1:1:cluster/c/1',
  bootstrapServers: 'b-1:9098',
  records: { 'dbserver1.public.users-0': records },
});

describe('createKafkaHandler', () => {
  it('decodes base64 Debezium messages and applies them in one engine call', async () => {
    // Prepare
    const { handler, calls, letters } = setup();

    // Act
    await handler(event([mskRecord(debeziumUpdate(1)), mskRecord(debeziumUpdate(2))]));

    // Assess
    expect(letters).toEqual([]);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.map((change) => [change.table, change.op, change.after])).toEqual([
      ['public.users', 'update', { id: 1, email: 'new1@example.com' }],
      ['public.users', 'update', { id: 2, email: 'new2@example.com' }],
    ]);
  });

  it('with the keyspace, decodes only the columns it reads, as the Kafka worker does', async () => {
    // Prepare
    const { engine, calls } = fakeEngine();
    const keyspace = keyspaceFromData({
      entities: { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] } },
    });
    const handler = createKafkaHandler({ engine, keyspace: async () => keyspace });

    // Act
    await handler(event([mskRecord(debeziumUpdate(1))]));

    // Assess
    expect(calls[0]!.map((change) => [change.before, change.after, change.version])).toEqual([
      [{ id: 1 }, { id: 1 }, '00000000000000001001'],
    ]);
  });

  it('dead-letters undecodable and unplannable records and still succeeds, so the partition moves on', async () => {
    // Prepare
    const { handler, calls, letters, emf } = setup((change) =>
      (change.after as { id: number }).id === 3
        ? { status: 'failed', error: new CdcCacheError('CDC_PLAN_FAILED', 'bad row') }
        : { status: 'applied', actions: 2 },
    );
    const garbage = mskRecord('{not json');
    const unplannable = mskRecord(debeziumUpdate(3));

    // Act
    await handler(event([mskRecord(debeziumUpdate(1)), garbage, unplannable]));

    // Assess
    expect(calls[0]).toHaveLength(2);
    expect(letters.map(({ record, error }) => [record.offset, error.code])).toEqual([
      [garbage.offset, 'CDC_DECODE_FAILED'],
      [unplannable.offset, 'CDC_PLAN_FAILED'],
    ]);
    // The workers' metric names, with runtime and result as dimensions (one EMF line per dimension set).
    const lines = emf.map((line) => JSON.parse(line));
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ runtime: 'kafka-lambda', result: 'applied', cdc_cache_records_total: 1 }),
        expect.objectContaining({
          runtime: 'kafka-lambda',
          result: 'dead_lettered',
          cdc_cache_records_total: 2,
        }),
        expect.objectContaining({ runtime: 'kafka-lambda', cdc_cache_engine_actions_total: 2 }),
      ]),
    );
  });

  it('throws on a Redis outage so that Lambda retries the batch', async () => {
    // Prepare
    const { handler, letters } = setup(
      () => new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'down', { retriable: true }),
    );

    // Act
    const invocation = handler(event([mskRecord(debeziumUpdate(1))]));

    // Assess
    await expect(invocation).rejects.toMatchObject({ code: 'CDC_REDIS_UNAVAILABLE' });
    expect(letters).toEqual([]);
  });

  it('throws when the dead-letter sink cannot store, so nothing is lost', async () => {
    // Prepare
    const handler = createKafkaHandler({
      engine: fakeEngine().engine,
      deadLetter: async () => {
        throw new Error('DLQ unreachable');
      },
      metrics: createEmfMetrics({ write: () => undefined }),
    });

    // Act / Assess
    await expect(handler(event([mskRecord('{not json')]))).rejects.toThrow('DLQ unreachable');
  });
});

describe('toDebeziumRecord', () => {
  it('maps base64 key and value, headers and the offset, and keeps tombstones null', () => {
    // Prepare
    const record = mskRecord({ a: 1 }, { offset: 42 });
    const tombstone = mskRecord(null, { value: '' as string });

    // Act
    const mapped = toDebeziumRecord(record);

    // Assess
    expect(mapped).toMatchObject({
      topic: 'dbserver1.public.users',
      partition: 0,
      offset: '42',
      timestamp: '1764000000000',
    });
    expect(JSON.parse(mapped.value!.toString())).toEqual({ a: 1 });
    expect(mapped.headers).toEqual({ trace: Buffer.from('hi') });
    expect(toDebeziumRecord(tombstone).value).toBeNull();
  });
});
