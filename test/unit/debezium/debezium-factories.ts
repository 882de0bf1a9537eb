import type { DebeziumRecord } from '../../../src/sources/debezium';

/** A PostgreSQL Debezium envelope (JSON converter, schemas disabled). */
export function pgEnvelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    before: null,
    after: { id: 1, email: 'a@example.com' },
    source: {
      version: '2.7.0.Final',
      connector: 'postgresql',
      name: 'dbserver1',
      ts_ms: 1732360000000,
      snapshot: 'false',
      db: 'cdc_cache_test',
      schema: 'public',
      table: 'users',
      txId: 771,
      lsn: 24023128,
    },
    op: 'c',
    ts_ms: 1732360000123,
    transaction: null,
    ...overrides,
  };
}

/** A MySQL/MariaDB Debezium envelope (JSON converter, schemas disabled). */
export function mysqlEnvelope(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    before: { id: 1, email: 'a@example.com' },
    after: { id: 1, email: 'b@example.com' },
    source: {
      version: '2.7.0.Final',
      connector: 'mariadb',
      name: 'dbserver2',
      ts_ms: 1732360000000,
      db: 'cdc_cache_test',
      table: 'users',
      server_id: 1,
      file: 'mysql-bin.000003',
      pos: 1540,
      row: 0,
    },
    op: 'u',
    ts_ms: 1732360000123,
    ...overrides,
  };
}

/** A Kafka record carrying `value` (and `key`) as JSON bytes. */
export function debeziumRecord(
  value: unknown,
  key: unknown = { id: 1 },
  overrides: Partial<DebeziumRecord> = {},
): DebeziumRecord {
  return {
    topic: 'dbserver1.public.users',
    partition: 0,
    offset: '42',
    key: key === null ? null : Buffer.from(JSON.stringify(key)),
    value: value === null ? null : Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)),
    ...overrides,
  };
}
