import type { ChangeEvent, ChangeOp, Row } from '../../core/change-event';
import { CdcCacheError, excerpt } from '../../errors';
import { type ColumnType, type Keyspace, keyspaceColumns, keyspaceColumnTypes } from '../../keyspace';
import { type ConnectSchema, convertWithSchema } from './convert-with-schema';
import type { DebeziumPosition, DebeziumRecord } from './debezium-record';
import {
  decodeError,
  describe,
  envelopeTable,
  flattenedTable,
  MAX_TABLE_NAMES,
  sourceKind,
  tableOrUndefined,
  transactionOf,
} from './debezium-source-table';
import { debeziumVersion } from './debezium-version';
import { decodeSchemalessColumns } from './decode-schemaless-columns';
import { hasUnsafeInteger, parseJson } from './parse-json';
import { NO_COLUMNS, projectColumns, type RowProjection } from './row-projection';
import { type ScannedEnvelope, scanDebeziumEnvelope } from './scan-debezium-envelope';
import { scanRecordKey } from './scan-record-key';

const OPS: Readonly<Record<string, ChangeOp | null>> = {
  c: 'create',
  u: 'update',
  d: 'delete',
  r: 'read',
  t: 'truncate',
  // A PostgreSQL logical decoding message (pg_logical_emit_message): no row changed.
  m: null,
};

const HEARTBEAT_TOPIC_PREFIX = '__debezium-heartbeat';
const TRANSACTION_FIELDS = new Set(['status', 'id', 'event_count', 'data_collections', 'ts_ms']);
/** The prefix ExtractNewRecordState gives the fields it adds (`add.fields`, `delete.handling.mode=rewrite`). */
const FLATTENED_PREFIX = '__';

/** What the decoder knows about where a message value came from. */
export interface DebeziumValueContext {
  /** The Kafka topic: names the table of a flattened message that carries no `__table`. */
  readonly topic?: string;
  /** The record key, already parsed (with or without its schema): the primary key columns. */
  readonly key?: unknown;
  /** Record headers: ExtractNewRecordState may put `__op` and `__deleted` there (`add.headers`). */
  readonly headers?: Readonly<Record<string, Buffer | string | undefined>>;
  /** Declared key column types by table (keyspaceColumnTypes): how to read a message written without schemas. */
  readonly columnTypes?: ColumnTypesOf;
}

/** Declared column types of a table, or undefined (see keyspaceColumnTypes). */
export type ColumnTypesOf = (table: string) => Readonly<Record<string, ColumnType>> | undefined;

/**
 * Decode one Kafka record written by a Debezium connector through the JSON converter (with or without
 * schemas; the full envelope or the ExtractNewRecordState flattened form). Returns `[]` for records that
 * change no row: tombstones, heartbeats, schema changes, transaction metadata, logical decoding messages.
 * Throws a non-retriable `CDC_DECODE_FAILED` naming what is wrong.
 *
 * @example
 * const events = decodeDebeziumRecord({ topic: 'dbserver1.public.users', partition: 0, offset: '7', key, value })
 * events[0]?.op // 'update'
 */
export function decodeDebeziumRecord(record: DebeziumRecord): ChangeEvent<DebeziumPosition>[] {
  return decodeRecord(record, undefined, undefined, undefined);
}

/** Options of {@link createDebeziumDecoder}. */
export interface DebeziumDecoderOptions {
  /**
   * The columns of a table's row images the consumer needs, by `<schema>.<table>` or `<database>.<table>`:
   * names, `'all'`, or undefined for a table it does not consume (its events keep empty images). Default:
   * every column of every table.
   */
  readonly columns?: (table: string) => readonly string[] | 'all' | undefined;
  /** Declared column types by table (keyspaceColumnTypes), to read messages written without schemas. */
  readonly columnTypes?: ColumnTypesOf;
}

/**
 * The decoder options of every consumer of a keyspace (worker, Lambda, auditor, explain's checks): only the
 * columns the keyspace reads, with their declared types. One place, so the keys they build stay the worker's.
 *
 * @example
 * const decode = createDebeziumDecoder(keyspaceDecoderOptions(keyspace))
 */
export function keyspaceDecoderOptions(keyspace: Keyspace): DebeziumDecoderOptions {
  return { columns: keyspaceColumns(keyspace), columnTypes: keyspaceColumnTypes(keyspace) };
}

/**
 * A decoder like {@link decodeDebeziumRecord} that reads an envelope (with or without schemas) straight from
 * its bytes and builds only the image columns `columns` selects: cheaper than JSON.parse of the whole message
 * (a third of it on a real 4 KB message with schemas) and with far less garbage. Any other form (flattened,
 * a schema whose conversions it cannot reproduce exactly, invalid JSON) takes the full path, with the same
 * events and errors.
 *
 * @example
 * const decode = createDebeziumDecoder({ columns: (table) => (table === 'public.users' ? ['id', 'email'] : undefined) })
 * decode(record)[0]?.after // { id: 42, email: 'new@example.com' }
 */
export function createDebeziumDecoder(
  options: DebeziumDecoderOptions = {},
): (record: DebeziumRecord) => ChangeEvent<DebeziumPosition>[] {
  const { columns, columnTypes } = options;
  if (!columns) return (record) => decodeRecord(record, undefined, undefined, columnTypes);
  // Bounded like TABLE_NAMES: table names come from messages, and a stream of distinct names must not grow it.
  const projections = new Map<string, RowProjection>();
  const projectionFor = (source: Record<string, unknown>): RowProjection => {
    const table = tableOrUndefined(source);
    // An unnamed table fails in fromEnvelope, which names the missing field.
    if (table === undefined) return NO_COLUMNS;
    let projection = projections.get(table);
    if (!projection) {
      const selected = columns(table);
      projection = selected === undefined ? NO_COLUMNS : projectColumns(selected);
      if (projections.size >= MAX_TABLE_NAMES) projections.clear();
      projections.set(table, projection);
    }
    return projection;
  };
  const scan = (bytes: Buffer, topic: string) => scanDebeziumEnvelope(bytes, projectionFor, topic);
  return (record) => decodeRecord(record, scan, scanRecordKey, columnTypes);
}

function decodeRecord(
  record: DebeziumRecord,
  scan: ((bytes: Buffer, topic: string) => ScannedEnvelope | undefined) | undefined,
  scanKey: ((bytes: Buffer, topic: string) => Row | undefined) | undefined,
  columnTypes: ColumnTypesOf | undefined,
): ChangeEvent<DebeziumPosition>[] {
  if (record.value === null || record.value.length === 0) return [];
  if (record.topic.startsWith(HEARTBEAT_TOPIC_PREFIX)) return [];
  const position: DebeziumPosition = {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
  };
  const scanned = scan?.(record.value, record.topic);
  const value = scanned ?? parseBytes(record.value, 'value', record, position);
  const key =
    record.key === null || record.key.length === 0
      ? null
      : (scanKey?.(record.key, record.topic) ?? parseBytes(record.key, 'key', record, position));
  try {
    return decodeMessage(
      value,
      columnTypes
        ? { topic: record.topic, key, headers: record.headers, columnTypes }
        : { topic: record.topic, key, headers: record.headers },
      position,
      scanned?.schemas === true,
    );
  } catch (error) {
    if (error instanceof CdcCacheError) {
      throw new CdcCacheError(error.code, `${where(record)}: ${error.message}`, {
        cause: error.cause,
        details: { ...error.details, ...position },
      });
    }
    throw error;
  }
}

/**
 * Decode an already-parsed Debezium message value (as `cdc-cache explain` reads it from a file or stdin).
 *
 * @example
 * decodeDebeziumValue({ op: 'd', before: { id: 1 }, after: null, source: { connector: 'postgresql', schema: 'public', table: 'users', lsn: 42 } })
 */
export function decodeDebeziumValue(value: unknown, context: DebeziumValueContext = {}): ChangeEvent[] {
  return decodeMessage(value, context, null);
}

/** `converted`: a scanned envelope whose images its schema has converted already. */
function decodeMessage<Position>(
  value: unknown,
  context: DebeziumValueContext,
  position: Position,
  converted = false,
): ChangeEvent<Position>[] {
  if (context.topic?.startsWith(HEARTBEAT_TOPIC_PREFIX)) return [];
  const payload = unwrapSchema(value, 'value');
  if (payload === null || payload === undefined) return [];
  if (!isObject(payload)) {
    throw decodeError(`the value is ${describe(payload)}, expected a Debezium message object`);
  }
  if (isIgnorable(payload)) return [];
  const keyPayload = context.key === undefined ? null : unwrapSchema(context.key, 'key');
  const key = isObject(keyPayload) ? (keyPayload as Row) : null;
  const event =
    typeof payload['op'] === 'string' && 'source' in payload
      ? fromEnvelope(payload, key, position)
      : fromFlattened(payload, key, context, position);
  if (event === null) return [];
  const types =
    context.columnTypes && !converted && !hasSchema(value) ? context.columnTypes(event.table) : undefined;
  return [types ? withDeclaredTypes(event, types) : event];
}

function hasSchema(message: unknown): boolean {
  return isObject(message) && isObject(message['schema']) && 'payload' in message;
}

/** Without schemas, declared key column types say how to read Debezium's encodings (day counts, micros, decimal bytes). */
function withDeclaredTypes<Position>(
  event: ChangeEvent<Position>,
  types: Readonly<Record<string, ColumnType>>,
): ChangeEvent<Position> {
  const read = (row: Row | null) => (row ? decodeSchemalessColumns(row, types, event.source) : row);
  return { ...event, before: read(event.before), after: read(event.after), key: read(event.key) };
}

/** The JSON converter with `schemas.enable=true` wraps a message as `{ schema, payload }`. */
function unwrapSchema(message: unknown, part: 'key' | 'value'): unknown {
  if (!isObject(message) || !('payload' in message) || !('schema' in message)) return message;
  const keys = Object.keys(message);
  if (keys.length !== 2) return message;
  const schema = message['schema'];
  if (schema !== null && !isObject(schema)) {
    throw decodeError(`the ${part} schema is ${describe(schema)}, expected a Kafka Connect schema object`);
  }
  return convertWithSchema(message['payload'], (schema ?? undefined) as ConnectSchema | undefined);
}

function isIgnorable(payload: Record<string, unknown>): boolean {
  if ('op' in payload || '__op' in payload) return false;
  // Schema change topic (MySQL/MariaDB): DDL statements and table structures.
  if ('ddl' in payload || 'tableChanges' in payload) return true;
  // Transaction metadata topic: BEGIN/END markers.
  const status = payload['status'];
  return (
    (status === 'BEGIN' || status === 'END') && Object.keys(payload).every((k) => TRANSACTION_FIELDS.has(k))
  );
}

function fromEnvelope<Position>(
  payload: Record<string, unknown>,
  key: Row | null,
  position: Position,
): ChangeEvent<Position> | null {
  const opCode = payload['op'] as string;
  if (!Object.hasOwn(OPS, opCode))
    throw decodeError(`unknown op '${excerpt(opCode)}' (expected c, u, d, r, t or m)`);
  const op = OPS[opCode];
  if (op === null || op === undefined) return null;
  const source = payload['source'];
  if (!isObject(source)) throw decodeError(`'source' is ${describe(source)}, expected an object`);
  const kind = sourceKind(source['connector'], source);
  const table = envelopeTable(source, kind);
  const before = rowOrNull(payload['before'], 'before');
  const after = rowOrNull(payload['after'], 'after');
  if ((op === 'create' || op === 'read' || op === 'update') && after === null) {
    throw decodeError(`op '${excerpt(opCode)}' without an 'after' image`);
  }
  if (op === 'delete' && before === null && key === null) {
    throw decodeError(`op 'd' without a 'before' image or a record key`);
  }
  return withTransaction(
    {
      source: kind,
      table,
      op,
      before: op === 'truncate' ? null : before,
      after: op === 'delete' || op === 'truncate' ? null : after,
      key,
      version: debeziumVersion(source),
      committedAt: epochMs(source['ts_ms']),
      position,
    },
    transactionOf(kind, source['txId']),
  );
}

function fromFlattened<Position>(
  payload: Record<string, unknown>,
  key: Row | null,
  context: DebeziumValueContext,
  position: Position,
): ChangeEvent<Position> | null {
  const meta = (name: string): unknown =>
    payload[`__${name}`] ?? payload[`__source_${name}`] ?? headerText(context.headers?.[`__${name}`]);
  const deleted = meta('deleted');
  const opCode = meta('op');
  let op: ChangeOp;
  if (deleted === true || deleted === 'true') op = 'delete';
  else if (typeof opCode === 'string') {
    if (!Object.hasOwn(OPS, opCode))
      throw decodeError(`unknown __op '${excerpt(opCode)}' (expected c, u, d, r, t or m)`);
    const mapped = OPS[opCode];
    if (mapped === null || mapped === undefined) return null;
    op = mapped;
  } else op = 'update';

  const row: Record<string, unknown> = {};
  for (const [name, column] of Object.entries(payload)) {
    if (!name.startsWith(FLATTENED_PREFIX)) row[name] = column;
  }
  const connector = meta('connector');
  const kind =
    connector === undefined
      ? meta('lsn') !== undefined
        ? 'postgres'
        : meta('file') !== undefined || meta('db') !== undefined
          ? 'mysql'
          : 'postgres'
      : sourceKind(connector, {});
  return withTransaction(
    {
      source: kind,
      table: flattenedTable(meta, context.topic),
      op,
      before: op === 'delete' ? row : null,
      after: op === 'delete' || op === 'truncate' ? null : row,
      key,
      version: debeziumVersion({ lsn: meta('lsn'), file: meta('file'), pos: meta('pos'), row: meta('row') }),
      committedAt: epochMs(meta('ts_ms')),
      position,
    },
    transactionOf(kind, meta('txId')),
  );
}

/**
 * The event, with its transaction id when it has one. Added to the event, not spread into a literal: a
 * spread builds a second object per event and copies it.
 */
function withTransaction<Position>(
  event: { -readonly [Field in keyof ChangeEvent<Position>]: ChangeEvent<Position>[Field] },
  transactionId: string | undefined,
): ChangeEvent<Position> {
  if (transactionId !== undefined) event.transactionId = transactionId;
  return event;
}

function rowOrNull(value: unknown, field: string): Row | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value)) throw decodeError(`'${field}' is ${describe(value)}, expected a row object or null`);
  return value as Row;
}

function epochMs(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}

function headerText(value: Buffer | string | undefined): string | undefined {
  return value === undefined ? undefined : typeof value === 'string' ? value : value.toString('utf8');
}

/** A record's place in its topic, for error messages: `topic[partition]@offset`. */
function where(record: DebeziumRecord): string {
  return `${record.topic}[${record.partition}]@${record.offset}`;
}

function parseBytes(
  bytes: Buffer,
  part: 'key' | 'value',
  record: DebeziumRecord,
  position: DebeziumPosition,
): unknown {
  const text = bytes.toString('utf8');
  try {
    // Plain JSON.parse first; the exact (slower) parse only when a row value lost digits to doubles.
    const parsed: unknown = JSON.parse(text);
    return hasUnsafeColumn(parsed) ? parseJson(text) : parsed;
  } catch (error) {
    throw new CdcCacheError(
      'CDC_DECODE_FAILED',
      `${where(record)}: the ${part} is not JSON (${excerpt((error as Error).message, 200)}); is the connector using the JSON converter?`,
      { cause: error, details: { part, ...position } },
    );
  }
}

/**
 * True when a column value that may feed a key is an integer beyond 2^53. Only the key and the row images
 * are looked at: the source block's 19-digit `ts_ns` does not matter and is in every Debezium 3 message.
 */
function hasUnsafeColumn(message: unknown): boolean {
  if (!isObject(message)) return false;
  const payload = 'payload' in message && 'schema' in message ? message['payload'] : message;
  if (!isObject(payload)) return false;
  if ('source' in payload && ('before' in payload || 'after' in payload)) {
    return hasUnsafeInteger(payload['before']) || hasUnsafeInteger(payload['after']);
  }
  return hasUnsafeInteger(payload);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
