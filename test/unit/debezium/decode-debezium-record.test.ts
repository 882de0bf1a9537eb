import { CdcCacheError } from '../../../src/errors';
import { decodeDebeziumRecord, decodeDebeziumValue } from '../../../src/sources/debezium';
import { debeziumRecord, mysqlEnvelope, pgEnvelope } from './debezium-factories';

function decodeError(run: () => unknown): CdcCacheError {
  try {
    run();
  } catch (error) {
    if (error instanceof CdcCacheError) return error;
    throw error;
  }
  throw new Error('expected a CdcCacheError');
}

describe('decodeDebeziumRecord: envelopes', () => {
  it('decodes a PostgreSQL update with table, images, key, LSN version, transaction id and commit time', () => {
    // Prepare
    const value = pgEnvelope({
      op: 'u',
      before: { id: 1, email: 'old@example.com' },
      after: { id: 1, email: 'new@example.com' },
    });

    // Act
    const events = decodeDebeziumRecord(debeziumRecord(value));

    // Assess
    expect(events).toEqual([
      {
        source: 'postgres',
        table: 'public.users',
        op: 'update',
        before: { id: 1, email: 'old@example.com' },
        after: { id: 1, email: 'new@example.com' },
        key: { id: 1 },
        version: '00000000000024023128',
        transactionId: '771',
        committedAt: 1732360000000,
        position: { topic: 'dbserver1.public.users', partition: 0, offset: '42' },
      },
    ]);
  });

  it.each([
    ['c', 'create'],
    ['r', 'read'],
  ])('maps op %s to %s with the after image', (op, expected) => {
    const [event] = decodeDebeziumRecord(debeziumRecord(pgEnvelope({ op })));
    expect(event?.op).toBe(expected);
    expect(event?.after).toEqual({ id: 1, email: 'a@example.com' });
  });

  it('decodes a delete with its before image and no after image', () => {
    const value = pgEnvelope({ op: 'd', before: { id: 1, email: 'a@example.com' }, after: null });
    const [event] = decodeDebeziumRecord(debeziumRecord(value));
    expect(event).toMatchObject({ op: 'delete', before: { id: 1, email: 'a@example.com' }, after: null });
  });

  it('decodes a truncate with neither image', () => {
    const value = pgEnvelope({ op: 't', before: null, after: null });
    const [event] = decodeDebeziumRecord(debeziumRecord(value, null));
    expect(event).toMatchObject({
      op: 'truncate',
      table: 'public.users',
      before: null,
      after: null,
      key: null,
    });
  });

  it('names MySQL/MariaDB tables <db>.<table> and versions them by binlog file, position and row', () => {
    const [event] = decodeDebeziumRecord(debeziumRecord(mysqlEnvelope(), { id: 1 }));
    expect(event).toMatchObject({
      source: 'mysql',
      table: 'cdc_cache_test.users',
      op: 'update',
      version: '0000000003000000000000000015400000000000',
    });
    // A MySQL source block may carry a thread or GTID, never a PostgreSQL transaction id.
    expect(event).not.toHaveProperty('transactionId');
  });

  it('ignores a logical decoding message (op m)', () => {
    expect(decodeDebeziumRecord(debeziumRecord(pgEnvelope({ op: 'm', after: null })))).toEqual([]);
  });
});

describe('decodeDebeziumRecord: records that change no row', () => {
  it('returns nothing for a tombstone', () => {
    expect(decodeDebeziumRecord(debeziumRecord(null))).toEqual([]);
  });

  it('returns nothing for a heartbeat', () => {
    const record = debeziumRecord(
      { ts_ms: 1732360000000 },
      { serverName: 'dbserver1' },
      {
        topic: '__debezium-heartbeat.dbserver1',
      },
    );
    expect(decodeDebeziumRecord(record)).toEqual([]);
  });

  it('returns nothing for a schema change', () => {
    const value = {
      source: { connector: 'mysql', db: 'cdc_cache_test' },
      databaseName: 'cdc_cache_test',
      ddl: 'ALTER TABLE users ADD COLUMN age INT',
      tableChanges: [],
    };
    expect(decodeDebeziumRecord(debeziumRecord(value, null, { topic: 'dbserver2' }))).toEqual([]);
  });

  it('returns nothing for transaction metadata', () => {
    const value = { status: 'END', id: '571:53195832', event_count: 2, data_collections: [], ts_ms: 1 };
    expect(decodeDebeziumRecord(debeziumRecord(value, null, { topic: 'dbserver1.transaction' }))).toEqual([]);
  });
});

describe('decodeDebeziumRecord: schemas enabled', () => {
  it('unwraps { schema, payload } and decodes a decimal key column', () => {
    // Prepare: price 12.34 as Connect Decimal (unscaled 1234 = 0x04D2, scale 2)
    const decimal = {
      type: 'bytes',
      optional: false,
      name: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '2' },
    };
    const row = { type: 'struct', optional: true, fields: [{ ...decimal, field: 'price' }] };
    const value = {
      schema: {
        type: 'struct',
        fields: [
          { ...row, field: 'before' },
          { ...row, field: 'after' },
          { type: 'struct', field: 'source', fields: [] },
          { type: 'string', field: 'op' },
        ],
      },
      payload: pgEnvelope({ op: 'c', after: { price: 'BNI=' } }),
    };
    const key = {
      schema: { type: 'struct', fields: [{ ...decimal, field: 'price' }] },
      payload: { price: 'BNI=' },
    };

    // Act
    const [event] = decodeDebeziumRecord(debeziumRecord(value, key));

    // Assess
    expect(event?.after).toEqual({ price: '12.34' });
    expect(event?.key).toEqual({ price: '12.34' });
  });
});

describe('decodeDebeziumRecord: ExtractNewRecordState', () => {
  it('reads __op, __table, __lsn and __source_ts_ms and strips them from the row', () => {
    const value = {
      id: 1,
      email: 'a@example.com',
      __op: 'u',
      __table: 'users',
      __lsn: 99,
      __source_ts_ms: 1732360000000,
      __deleted: 'false',
    };
    const [event] = decodeDebeziumRecord(debeziumRecord(value));
    expect(event).toEqual({
      source: 'postgres',
      table: 'public.users',
      op: 'update',
      before: null,
      after: { id: 1, email: 'a@example.com' },
      key: { id: 1 },
      version: '00000000000000000099',
      committedAt: 1732360000000,
      position: { topic: 'dbserver1.public.users', partition: 0, offset: '42' },
    });
  });

  it('reads the transaction id of a PostgreSQL change from __txId (add.fields=lsn,txId)', () => {
    const value = { id: 1, __op: 'u', __table: 'users', __lsn: 99, __txId: 748 };
    const [event] = decodeDebeziumRecord(debeziumRecord(value));
    expect(event).toMatchObject({ version: '00000000000000000099', transactionId: '748' });
  });

  it('turns a rewritten delete (__deleted true) into a delete of the row', () => {
    const value = { id: 1, email: null, __deleted: 'true' };
    const [event] = decodeDebeziumRecord(debeziumRecord(value));
    expect(event).toMatchObject({ op: 'delete', before: { id: 1, email: null }, after: null });
  });

  it('takes the table from the topic when no __table was added', () => {
    const [event] = decodeDebeziumRecord(
      debeziumRecord({ id: 1 }, { id: 1 }, { topic: 'shop.inventory.orders' }),
    );
    expect(event?.table).toBe('inventory.orders');
  });

  it('reads __op from a header when add.headers is used', () => {
    const record = debeziumRecord({ id: 1 }, { id: 1 }, { headers: { __op: Buffer.from('c') } });
    expect(decodeDebeziumRecord(record)[0]?.op).toBe('create');
  });
});

describe('decodeDebeziumRecord: poison records', () => {
  it('rejects garbage bytes as CDC_DECODE_FAILED naming the topic, partition and offset', () => {
    const error = decodeError(() =>
      decodeDebeziumRecord({ ...debeziumRecord(null), value: Buffer.from([0xff, 0x00, 0x13]) }),
    );
    expect(error.code).toBe('CDC_DECODE_FAILED');
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('dbserver1.public.users[0]@42');
    expect(error.message).toContain('not JSON');
  });

  it.each([
    ['an unknown op', pgEnvelope({ op: 'x' }), "unknown op 'x'"],
    ['an update without an after image', pgEnvelope({ op: 'u', after: null }), 'without an'],
    [
      'a source without a table',
      pgEnvelope({ source: { connector: 'postgresql', schema: 'public' } }),
      'source.table',
    ],
    [
      'an unsupported connector',
      pgEnvelope({ source: { connector: 'oracle', table: 't' } }),
      "unsupported connector 'oracle'",
    ],
    ['an array', [1, 2], 'an array'],
  ])('rejects %s', (_name, value, message) => {
    const error = decodeError(() => decodeDebeziumRecord(debeziumRecord(value)));
    expect(error.code).toBe('CDC_DECODE_FAILED');
    expect(error.message).toContain(message);
    expect(error.details).toMatchObject({ topic: 'dbserver1.public.users', partition: 0, offset: '42' });
  });
});

describe('decodeDebeziumValue', () => {
  it('decodes a parsed value with the key from the context', () => {
    const [event] = decodeDebeziumValue(pgEnvelope({ op: 'c' }), { key: { id: 1 } });
    expect(event).toMatchObject({ op: 'create', key: { id: 1 }, position: null });
  });

  it('keeps integers beyond 2^53 exact (as decimal strings, which render the same key)', () => {
    const record = debeziumRecord('{"id":1234567890123456789,"__op":"c"}', null);
    expect(decodeDebeziumRecord(record)[0]?.after).toEqual({ id: '1234567890123456789' });
  });
});
