import { type ColumnType, canonicalKeyText, parseColumnType } from '../../../src/keyspace';
import { decodeDebeziumValue } from '../../../src/sources/debezium';
import { createPgoutputDecoder, pgoutputValue } from '../../../src/sources/postgres';
import { relationFactory } from './pgoutput-factories';

describe('createPgoutputDecoder', () => {
  test('an update becomes the event the Debezium decoder makes: table, images, LSN version, transaction, commit time', () => {
    // Prepare
    const decode = createPgoutputDecoder({ primaryKeys: new Map([['public.users', ['id']]]) });
    const relation = relationFactory('users', [
      ['id', 20],
      ['email', 25],
    ]);
    decode(100n, { tag: 'begin', commitLsn: '0/200', commitTime: 1_732_360_000_123_456n, xid: 748 });

    // Act
    const [event] = decode(0x16b3748n, {
      tag: 'update',
      relation,
      key: null,
      old: { id: '42', email: 'old@example.com' },
      new: { id: '42', email: 'new@example.com' },
    });

    // Assess
    expect(event).toEqual({
      source: 'postgres',
      table: 'public.users',
      op: 'update',
      before: { id: 42, email: 'old@example.com' },
      after: { id: 42, email: 'new@example.com' },
      key: { id: 42 },
      version: '00000000000023803720',
      transactionId: '748',
      committedAt: 1_732_360_000_123,
      position: { lsn: '0/16B3748' },
    });
    const debezium = decodeDebeziumValue({
      op: 'u',
      before: { id: 42, email: 'old@example.com' },
      after: { id: 42, email: 'new@example.com' },
      source: {
        connector: 'postgresql',
        schema: 'public',
        table: 'users',
        lsn: 23803720,
        txId: 748,
        ts_ms: 1_732_360_000_123,
      },
    })[0];
    expect(event?.version).toBe(debezium?.version);
    expect(event?.transactionId).toBe(debezium?.transactionId);
    expect(event?.before).toEqual(debezium?.before);
  });

  test('a truncate of two tables yields one truncate event per table', () => {
    // Prepare
    const decode = createPgoutputDecoder();
    const users = relationFactory('users', [['id', 23]]);
    const orders = relationFactory('orders', [['id', 23]]);

    // Act
    const events = decode(500n, {
      tag: 'truncate',
      cascade: false,
      restartIdentity: false,
      relations: [users, orders],
    });

    // Assess
    expect(events.map((event) => [event.op, event.table, event.before, event.after])).toEqual([
      ['truncate', 'public.users', null, null],
      ['truncate', 'public.orders', null, null],
    ]);
  });

  test('a delete with only the key (default replica identity) names the row by its key', () => {
    const decode = createPgoutputDecoder();
    const relation = {
      ...relationFactory('users', [
        ['id', 23],
        ['email', 25],
      ]),
      replicaIdentity: 'default' as const,
    };
    const [event] = decode(9n, { tag: 'delete', relation, key: { id: '7' }, old: null });
    expect(event?.before).toEqual({ id: 7 });
    expect(event?.key).toEqual({ id: 7 });
  });
});

describe('pgoutputValue', () => {
  // Debezium's JSON-with-schema encodings of the same values, as its connector writes them.
  const cases: [string, number, string, unknown, Record<string, unknown>, string][] = [
    ['int4', 23, '42', 42, { type: 'int32' }, 'integer'],
    ['int8 beyond 2^53', 20, '9007199254740993', '9007199254740993', { type: 'int64' }, 'bigint'],
    [
      'numeric',
      1700,
      '12.50',
      'BOI=',
      { type: 'bytes', name: 'org.apache.kafka.connect.data.Decimal', parameters: { scale: '2' } },
      'numeric',
    ],
    ['bool', 16, 't', true, { type: 'boolean' }, 'boolean'],
    ['date', 1082, '2024-01-02', 19724, { type: 'int32', name: 'io.debezium.time.Date' }, 'date'],
    [
      'timestamp',
      1114,
      '2024-01-02 03:04:05.123456',
      1704164645123456,
      { type: 'int64', name: 'io.debezium.time.MicroTimestamp' },
      'timestamp',
    ],
    [
      'timestamptz',
      1184,
      '2024-01-02 03:04:05.5+00',
      '2024-01-02T03:04:05.5Z',
      { type: 'string', name: 'io.debezium.time.ZonedTimestamp' },
      'timestamptz',
    ],
    ['time', 1083, '03:04:05.25', 11045250000, { type: 'int64', name: 'io.debezium.time.MicroTime' }, 'time'],
    [
      'uuid',
      2950,
      '0b6c4f5e-9d1a-4f7e-8a3b-2c1d0e9f8a7b',
      '0b6c4f5e-9d1a-4f7e-8a3b-2c1d0e9f8a7b',
      { type: 'string', name: 'io.debezium.data.Uuid' },
      'uuid',
    ],
    ['text', 25, 'a:b', 'a:b', { type: 'string' }, 'text'],
  ];

  test.each(cases)(
    '%s: the same value and key text as the Debezium path',
    (_name, typeOid, text, encoded, schema, declared) => {
      // Prepare
      const debezium = decodeDebeziumValue({
        schema: {
          type: 'struct',
          fields: [
            { field: 'op', type: 'string' },
            {
              field: 'after',
              type: 'struct',
              optional: true,
              fields: [{ field: 'v', optional: false, ...schema }],
            },
            { field: 'source', type: 'struct', fields: [] },
          ],
        },
        payload: {
          op: 'c',
          after: { v: encoded },
          source: { connector: 'postgresql', schema: 'public', table: 't', lsn: 1 },
        },
      })[0];

      // Act
      const value = pgoutputValue(typeOid, text);

      // Assess
      const type = (parseColumnType(declared) as { type: ColumnType }).type;
      expect(value).toEqual(debezium?.after?.['v']);
      expect(canonicalKeyText(value, type)).toBe(canonicalKeyText(debezium?.after?.['v'], type));
    },
  );
});
