// Messages captured from the real stack (Debezium 3.1, JSON converter) by
// test/integration/kafka-worker/capture-debezium-fixtures.ts.
import type { ChangeEvent } from '../../../src/core/change-event';
import type { DebeziumRecord } from '../../../src/sources/debezium';
import { createDebeziumDecoder, decodeDebeziumRecord } from '../../../src/sources/debezium';
import mariadbEnvelope from './fixtures/mariadb-envelope-schemas.json';
import mariadbSchemaChange from './fixtures/mariadb-schema-change.json';
import postgresEnvelope from './fixtures/postgres-envelope-schemas.json';
import postgresFlattened from './fixtures/postgres-flattened.json';
import postgresHeartbeat from './fixtures/postgres-heartbeat.json';
import postgresTransaction from './fixtures/postgres-transaction.json';

type Fixture = { topic: string; partition: number; offset: string; key: string | null; value: string | null };

function records(fixtures: Fixture[]): DebeziumRecord[] {
  return fixtures.map((fixture) => ({
    topic: fixture.topic,
    partition: fixture.partition,
    offset: fixture.offset,
    key: fixture.key === null ? null : Buffer.from(fixture.key),
    value: fixture.value === null ? null : Buffer.from(fixture.value),
  }));
}

const decodeAll = (fixtures: Fixture[]) => records(fixtures).map((record) => decodeDebeziumRecord(record));

describe('captured PostgreSQL envelopes (schemas enabled)', () => {
  const [insert, update, remove, tombstone, secondInsert, truncate] = decodeAll(postgresEnvelope);
  const table = (postgresEnvelope[0]!.topic as string).split('.').slice(1).join('.');

  it('decodes the insert with exact bigint key, decimals, timestamps and dates', () => {
    expect(insert).toHaveLength(1);
    const event = insert![0]!;
    expect(event).toMatchObject({ source: 'postgres', table, op: 'create', before: null });
    expect(event.key).toEqual({ id: '9007199254740993' });
    expect(event.after).toMatchObject({
      id: '9007199254740993',
      email: 'a@example.com',
      price: '12.34',
      amount: '-0.005',
      created_at: new Date('2024-11-23T11:06:40.123Z'),
      seen_at: '2024-11-23T11:06:40.500',
      day: '2024-11-23',
    });
    expect(event.version).toMatch(/^\d{20}$/);
    expect(typeof event.committedAt).toBe('number');
  });

  it('decodes the update with both images and a later version', () => {
    const event = update![0]!;
    expect(event.op).toBe('update');
    expect(event.before).toMatchObject({ email: 'a@example.com', price: '12.34' });
    expect(event.after).toMatchObject({ email: 'b@example.com', price: '-99.99' });
    expect(event.version > insert![0]!.version).toBe(true);
  });

  it('decodes the delete, ignores its tombstone, and decodes the truncate', () => {
    expect(remove![0]).toMatchObject({ op: 'delete', after: null, before: { email: 'b@example.com' } });
    expect(tombstone).toEqual([]);
    expect(secondInsert![0]).toMatchObject({ op: 'create', key: { id: 2 } });
    expect(truncate![0]).toMatchObject({ op: 'truncate', table, before: null, after: null });
  });

  it('ignores transaction metadata and heartbeats', () => {
    expect(decodeAll(postgresTransaction).flat()).toEqual([]);
    expect(decodeAll(postgresHeartbeat).flat()).toEqual([]);
  });
});

describe('captured ExtractNewRecordState messages', () => {
  it('decodes create, update and the rewritten delete, and ignores the tombstone', () => {
    const events = decodeAll(postgresFlattened);
    expect(events.map((list) => list.map((event) => event.op))).toEqual([
      ['create'],
      ['update'],
      ['delete'],
      [],
    ]);
    const table = (postgresFlattened[0]!.topic as string).split('.').slice(1).join('.');
    expect(events[1]![0]).toMatchObject({
      table,
      source: 'postgres',
      after: { id: 1, email: 'b@example.com' },
      key: { id: 1 },
    });
    expect(events[2]![0]!.before).toEqual({ id: 1, email: '' });
    expect(events[1]![0]!.version > events[0]![0]!.version).toBe(true);
  });
});

describe('captured MariaDB envelopes (schemas enabled)', () => {
  it('decodes changes with <db>.<table>, binlog versions in commit order, and logical types', () => {
    const events = decodeAll(mariadbEnvelope);
    expect(events.map((list) => list.map((event) => event.op))).toEqual([
      ['create'],
      ['update'],
      ['delete'],
      [],
    ]);
    const [create, update, remove] = events.map((list) => list[0]!);
    expect(create).toMatchObject({ source: 'mysql', key: { id: 1 } });
    expect(create!.table).toMatch(/^cdc_cache_test\.fx_maria_/);
    expect(create!.after).toMatchObject({
      price: '12.34',
      created_at: '2024-11-23T11:06:40.123',
      updated_at: new Date('2024-11-23T11:06:40.123Z'),
    });
    expect(create!.version < update!.version && update!.version < remove!.version).toBe(true);
  });

  it('ignores the schema change topic', () => {
    expect(decodeAll(mariadbSchemaChange).flat()).toEqual([]);
  });
});

describe('the projected decoder on captured messages', () => {
  const all = [postgresEnvelope, mariadbEnvelope, postgresFlattened, postgresHeartbeat, postgresTransaction];
  const decode = createDebeziumDecoder({ columns: () => ['id', 'email'] });
  const cut = (events: ChangeEvent[]) =>
    events.map((event) => ({
      ...event,
      before: event.before && pick(event.before),
      after: event.after && pick(event.after),
    }));
  const pick = (row: Readonly<Record<string, unknown>>) =>
    Object.fromEntries(Object.entries(row).filter(([name]) => name === 'id' || name === 'email'));

  it('gives the full decoder’s events for every captured message (forms it does not read fall back)', () => {
    for (const record of all.flatMap((fixtures) => records(fixtures as Fixture[]))) {
      const projected = decode(record);
      expect([decodeDebeziumRecord(record), cut(decodeDebeziumRecord(record))]).toContainEqual(projected);
    }
  });

  it('reads the schemaless form of the captured envelopes itself, with the same events cut to its columns', () => {
    const schemaless = [...postgresEnvelope, ...mariadbEnvelope].map((fixture) => ({
      ...fixture,
      key: fixture.key === null ? null : JSON.stringify(JSON.parse(fixture.key).payload),
      value: fixture.value === null ? null : JSON.stringify(JSON.parse(fixture.value).payload),
    }));
    const decoded = records(schemaless as Fixture[]).map((record) => [
      decode(record),
      decodeDebeziumRecord(record),
    ]);
    expect(decoded.filter(([projected]) => projected!.length > 0).length).toBeGreaterThan(4);
    for (const [projected, full] of decoded) expect(projected).toEqual(cut(full!));
  });
});
