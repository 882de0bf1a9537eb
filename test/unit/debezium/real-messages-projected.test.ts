// Real messages (captured from the stack's Debezium by capture-debezium-fixtures.ts) must take the projected
// byte decoder, with or without schemas, and give exactly the full decoder's events cut to the columns.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChangeEvent, Row } from '../../../src/core/change-event';
import {
  createDebeziumDecoder,
  type DebeziumRecord,
  decodeDebeziumRecord,
} from '../../../src/sources/debezium';
import { projectColumns } from '../../../src/sources/debezium/row-projection';
import { scanDebeziumEnvelope } from '../../../src/sources/debezium/scan-debezium-envelope';
import { scanRecordKey } from '../../../src/sources/debezium/scan-record-key';

type Fixture = { topic: string; partition: number; offset: string; key: string | null; value: string | null };

const FIXTURES = join(__dirname, 'fixtures');

function changes(file: string): DebeziumRecord[] {
  const fixtures = JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Fixture[];
  return fixtures
    .filter((fixture) => fixture.value !== null)
    .map((fixture) => ({
      topic: fixture.topic,
      partition: fixture.partition,
      offset: fixture.offset,
      key: fixture.key === null ? null : Buffer.from(fixture.key),
      value: Buffer.from(fixture.value!),
    }));
}

function cut(events: ChangeEvent[], columns: readonly string[]): ChangeEvent[] {
  const keep = (row: Row | null): Row | null =>
    row === null ? null : Object.fromEntries(columns.filter((c) => c in row).map((c) => [c, row[c]]));
  return events.map((event) => ({ ...event, before: keep(event.before), after: keep(event.after) }));
}

const ENVELOPES = readdirSync(FIXTURES).filter((file) => /-envelope-/.test(file));

describe.each(ENVELOPES)('captured envelopes %s', (file) => {
  const records = changes(file);

  it('take the projected path: every change is read from its bytes', () => {
    // Prepare
    const projection = projectColumns(['id']);
    // Act
    const refused = records.filter(
      (record) => scanDebeziumEnvelope(record.value!, () => projection) === undefined,
    );
    // Assess
    expect(records.length).toBeGreaterThan(0);
    expect(refused.map((record) => `${record.topic}@${record.offset}`)).toEqual([]);
  });

  it.each([[['id']], [['id', 'email', 'price', 'amount', 'created_at', 'seen_at', 'day', 'updated_at']]])(
    'decode as the full decoder does, cut to %j',
    (columns) => {
      const projected = createDebeziumDecoder({ columns: () => columns });
      for (const record of records) {
        expect(projected(record)).toEqual(cut(decodeDebeziumRecord(record), columns));
      }
    },
  );

  it('decode every column as the full decoder does', () => {
    const all = createDebeziumDecoder({ columns: () => 'all' });
    for (const record of records) expect(all(record)).toEqual(decodeDebeziumRecord(record));
  });
});

it('a real Debezium 3.6 PostgreSQL message with schemas takes the projected path, its logical types converted', () => {
  // Prepare
  const insert = changes('postgres-envelope-schemas-3.6.json').find((record) =>
    /"after":\{"id":9007199254740993,.*"op":"c"/.test(record.value!.toString()),
  );
  const projection = projectColumns(['id', 'price', 'amount', 'created_at', 'seen_at', 'day']);
  // Act
  const scanned = scanDebeziumEnvelope(insert!.value!, () => projection);
  // Assess
  expect(scanned).toMatchObject({
    op: 'c',
    schemas: true,
    before: null,
    after: {
      id: '9007199254740993',
      price: '12.34',
      amount: '-0.005',
      created_at: new Date('2024-11-23T11:06:40.123Z'),
      seen_at: '2024-11-23T11:06:40.500',
      day: '2024-11-23',
    },
  });
});

it('a real record key with schemas is read from its bytes and converted like the full decoder', () => {
  // Prepare
  const records = [
    ...changes('postgres-envelope-schemas-3.6.json'),
    ...changes('mariadb-envelope-schemas-3.6.json'),
  ].filter((record) => record.key !== null);
  // Act
  const keys = records.map((record) => scanRecordKey(record.key!));
  // Assess
  expect(keys).not.toContain(undefined);
  expect(keys).toContainEqual({ id: '9007199254740993' });
  expect(keys).toContainEqual({ id: 1 });
});
