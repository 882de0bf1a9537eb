import type { SourceKind } from '../../core/change-event';
import { CdcCacheError, excerpt } from '../../errors';
import { debeziumTransactionId } from './debezium-version';

// Where a Debezium message came from: its connector kind, its table's name, its transaction. Shared by the
// envelope and the flattened readers of decode-debezium-record.ts.

const CONNECTORS: Readonly<Record<string, SourceKind>> = {
  postgresql: 'postgres',
  mysql: 'mysql',
  mariadb: 'mysql',
};

/** The transaction id of a PostgreSQL change that carries its `txId`, undefined otherwise. */
export function transactionOf(kind: SourceKind, txId: unknown): string | undefined {
  return kind === 'postgres' ? debeziumTransactionId({ txId }) : undefined;
}

/** `<schema>.<table>` (PostgreSQL) or `<database>.<table>` from an envelope's source block. */
export function envelopeTable(source: Record<string, unknown>, kind: SourceKind): string {
  const container = kind === 'postgres' ? source['schema'] : source['db'];
  const table = source['table'];
  if (typeof table !== 'string' || table === '') {
    throw decodeError(`'source.table' is ${describe(table)}, expected the table name`);
  }
  if (typeof container !== 'string' || container === '') {
    const field = kind === 'postgres' ? 'source.schema' : 'source.db';
    throw decodeError(`'${field}' is ${describe(container)}, expected a name`);
  }
  return tableName(container, table);
}

/** Joined names, made once per table: every event of a table carries the same (already hashed) string. */
const TABLE_NAMES = new Map<string, Map<string, string>>();
/** The most table names kept (names come from messages: a stream of distinct ones must not grow memory). */
export const MAX_TABLE_NAMES = 10_000;
let tableNameCount = 0;

function tableName(container: string, table: string): string {
  const known = TABLE_NAMES.get(container)?.get(table);
  if (known !== undefined) return known;
  if (tableNameCount >= MAX_TABLE_NAMES) {
    TABLE_NAMES.clear();
    tableNameCount = 0;
  }
  const name = `${container}.${table}`;
  let tables = TABLE_NAMES.get(container);
  if (!tables) {
    tables = new Map();
    TABLE_NAMES.set(container, tables);
  }
  tables.set(table, name);
  tableNameCount++;
  return name;
}

export function tableOrUndefined(source: Record<string, unknown>): string | undefined {
  try {
    return envelopeTable(source, sourceKind(source['connector'], source));
  } catch {
    return undefined;
  }
}

/** `__schema`/`__db` plus `__table` when added, else the last two segments of `<prefix>.<schema>.<table>`. */
export function flattenedTable(meta: (name: string) => unknown, topic: string | undefined): string {
  const table = meta('table');
  const container = meta('schema') ?? meta('db');
  const segments = topic?.split('.') ?? [];
  if (typeof table === 'string' && table !== '') {
    if (typeof container === 'string' && container !== '') return `${container}.${table}`;
    if (segments.length >= 2) return `${segments[segments.length - 2]}.${table}`;
  }
  if (segments.length >= 3) return segments.slice(-2).join('.');
  throw decodeError(
    `flattened message without '__table' on topic '${excerpt(topic ?? '(unknown)')}': cannot tell the table (add.fields=table,schema,db or a '<prefix>.<schema>.<table>' topic)`,
  );
}

export function sourceKind(connector: unknown, source: Record<string, unknown>): SourceKind {
  if (typeof connector === 'string') {
    if (Object.hasOwn(CONNECTORS, connector)) return CONNECTORS[connector]!;
    throw decodeError(
      `unsupported connector '${excerpt(connector)}' (supported: ${Object.keys(CONNECTORS).join(', ')})`,
    );
  }
  if (source['lsn'] !== undefined) return 'postgres';
  if (source['file'] !== undefined) return 'mysql';
  throw decodeError(`'source.connector' is ${describe(connector)}, expected postgresql, mysql or mariadb`);
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(excerpt(value))}`;
}

export function decodeError(message: string): CdcCacheError {
  return new CdcCacheError('CDC_DECODE_FAILED', message);
}
