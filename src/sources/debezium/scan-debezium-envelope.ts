import type { Row } from '../../core/change-event';
import { setOwnMember } from '../../core/set-own-member';
import {
  hasEscape,
  INVALID_VALUE,
  keyEquals,
  MEMBER_SPAN,
  MemberSpans,
  NOT_JSON,
  readKey,
  readValue,
  StringCache,
  scanMembers,
  skipWhitespace,
  valueEnd,
} from './json-bytes';
import { hasUnsafeInteger, parseJson } from './parse-json';

/** Named columns, with their UTF-8 bytes for matching keys in place. */
export interface ColumnList {
  readonly all: false;
  readonly names: readonly string[];
  readonly encoded: readonly Uint8Array[];
  /** Indexes into `names` by UTF-8 length: a key is compared only with names of its length. */
  readonly byLength: readonly (readonly number[] | undefined)[];
}

/** The columns of one table's row images that a consumer needs. */
export type RowProjection = { readonly all: true } | ColumnList;

/**
 * Compile a list of column names (or 'all') into a {@link RowProjection}.
 *
 * @example
 * projectColumns(['id', 'email'])
 */
export function projectColumns(columns: readonly string[] | 'all'): RowProjection {
  return columns === 'all' ? { all: true } : columnList(columns);
}

function columnList(columns: readonly string[]): ColumnList {
  const names = [...new Set(columns)];
  const encoded = names.map((name) => Buffer.from(name, 'utf8'));
  const byLength: number[][] = [];
  encoded.forEach((bytes, index) => {
    byLength[bytes.length] ??= [];
    byLength[bytes.length]!.push(index);
  });
  return { all: false, names, encoded, byLength };
}

/** A projection keeping no column: the table's events need no image (a table outside the keyspace). */
export const NO_COLUMNS = projectColumns([]);

/** What the decoder reads from an envelope: the op, the source block's ordering fields, projected images. */
export interface ScannedEnvelope {
  readonly op: string;
  readonly source: Record<string, unknown>;
  readonly before: Row | null | undefined;
  readonly after: Row | null | undefined;
}

/** The fields of `source` the decoder uses (table naming, connector, version, transaction, commit time). */
const SOURCE_FIELDS = columnList([
  'connector',
  'schema',
  'db',
  'table',
  'lsn',
  'file',
  'pos',
  'row',
  'txId',
  'ts_ms',
]);
type SourceField =
  | 'connector'
  | 'schema'
  | 'db'
  | 'table'
  | 'lsn'
  | 'file'
  | 'pos'
  | 'row'
  | 'txId'
  | 'ts_ms';
const BEFORE = Buffer.from('before');
const AFTER = Buffer.from('after');
const SOURCE = Buffer.from('source');
const OP = Buffer.from('op');
const PAYLOAD = Buffer.from('payload');
// Byte codes kept module-local, like json-bytes.ts's: imported constants compile to property loads.
const OPEN_BRACE = 0x7b;
const COLON = 0x3a;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;

/** Source blocks repeat connector, schema, table and binlog file names in every message. */
const sourceStrings = new StringCache();
/** Member spans of the images and the source block; reused across calls (decoding is synchronous). */
const spans = { before: new MemberSpans(), after: new MemberSpans(), source: new MemberSpans() };

/**
 * Read a Debezium envelope (JSON converter, schemas disabled) straight from its bytes in one pass, keeping
 * only the image columns `projectionFor(source)` asks for. Returns undefined for anything else (a
 * schema-wrapped or flattened message, invalid JSON), which the caller decodes with JSON.parse instead.
 *
 * @example
 * scanDebeziumEnvelope(bytes, () => projectColumns(['id']))?.after // { id: 42 }
 */
export function scanDebeziumEnvelope(
  bytes: Buffer,
  projectionFor: (source: Record<string, unknown>) => RowProjection,
): ScannedEnvelope | undefined {
  spans.before.clear();
  spans.after.clear();
  spans.source.clear();
  let before = NOT_JSON; // value start (and end) of each field; NOT_JSON while absent
  let beforeEnd = NOT_JSON;
  let after = NOT_JSON;
  let afterEnd = NOT_JSON;
  let source = NOT_JSON;
  let op = NOT_JSON;
  let opEnd = NOT_JSON;

  let index = skipWhitespace(bytes, 0);
  if (bytes[index] !== OPEN_BRACE) return undefined;
  index = skipWhitespace(bytes, index + 1);
  if (bytes[index] === CLOSE_BRACE) return undefined;
  for (;;) {
    if (bytes[index] !== QUOTE) return undefined;
    const keyStart = index;
    const keyEnd = valueEnd(bytes, index);
    if (keyEnd === NOT_JSON) return undefined;
    index = skipWhitespace(bytes, keyEnd);
    if (bytes[index] !== COLON) return undefined;
    const valueStart = skipWhitespace(bytes, index + 1);
    let end: number;
    // The images and the source block are scanned member by member, the rest skipped. A duplicate
    // member replaces the earlier one, as with JSON.parse.
    if (keyEquals(bytes, keyStart, keyEnd, BEFORE)) {
      before = valueStart;
      end = beforeEnd = member(bytes, valueStart, spans.before);
    } else if (keyEquals(bytes, keyStart, keyEnd, AFTER)) {
      after = valueStart;
      end = afterEnd = member(bytes, valueStart, spans.after);
    } else if (keyEquals(bytes, keyStart, keyEnd, SOURCE)) {
      source = valueStart;
      end = member(bytes, valueStart, spans.source);
    } else if (keyEquals(bytes, keyStart, keyEnd, OP)) {
      op = valueStart;
      end = opEnd = valueEnd(bytes, valueStart);
    } else if (keyEquals(bytes, keyStart, keyEnd, PAYLOAD) || hasEscape(bytes, keyStart, keyEnd)) {
      // `{ schema, payload }` needs its schema to decode; an escaped key may spell a field name.
      return undefined;
    } else {
      end = valueEnd(bytes, valueStart);
    }
    if (end === NOT_JSON) return undefined;
    index = skipWhitespace(bytes, end);
    if (bytes[index] === CLOSE_BRACE) break;
    if (bytes[index] !== COMMA) return undefined;
    index = skipWhitespace(bytes, index + 1);
  }
  if (skipWhitespace(bytes, index + 1) !== bytes.length) return undefined;
  if (op === NOT_JSON || bytes[op] !== QUOTE || source === NOT_JSON || bytes[source] !== OPEN_BRACE) {
    return undefined;
  }
  const opCode = readValue(bytes, op, opEnd, sourceStrings);
  const sourceBlock = readSource(bytes, spans.source);
  if (typeof opCode !== 'string' || sourceBlock === undefined) return undefined;
  // A truncate or a logical decoding message carries no row.
  const projection = opCode === 't' || opCode === 'm' ? NO_COLUMNS : projectionFor(sourceBlock);
  const beforeImage = image(bytes, before, beforeEnd, spans.before, projection);
  const afterImage = image(bytes, after, afterEnd, spans.after, projection);
  if (beforeImage === INVALID_VALUE || afterImage === INVALID_VALUE) return undefined;
  return { op: opCode, source: sourceBlock, before: beforeImage, after: afterImage };
}

/** Column names of record keys: the same few in every message. */
const keyNames = new StringCache();
const keySpans = new MemberSpans();

/**
 * Read a record key (JSON converter, schemas disabled: a flat object of primary key columns) straight from
 * its bytes. Undefined for anything else (`{ schema, payload }`, invalid JSON), which the caller parses.
 *
 * @example
 * scanRecordKey(Buffer.from('{"id":42}')) // { id: 42 }
 */
export function scanRecordKey(bytes: Buffer): Row | undefined {
  keySpans.clear();
  const start = skipWhitespace(bytes, 0);
  const end = scanMembers(bytes, start, keySpans);
  if (end === NOT_JSON || skipWhitespace(bytes, end) !== bytes.length) return undefined;
  const key: Record<string, unknown> = {};
  const members = keySpans.values;
  for (let at = 0; at < keySpans.length; at += MEMBER_SPAN) {
    const keyStart = members[at]!;
    const keyEnd = members[at + 1]!;
    const name =
      members[at + 4] === 1
        ? readKey(bytes, keyStart, keyEnd)
        : keyNames.read(bytes, keyStart + 1, keyEnd - 1);
    if (name === undefined || name === 'payload' || name === 'schema') return undefined;
    const value = readValue(bytes, members[at + 2]!, members[at + 3]!);
    if (value === INVALID_VALUE) return undefined;
    setOwnMember(key, name, value);
  }
  return key;
}

/** Scan an object value's members into `into` (cleared first); skip any other value. */
function member(bytes: Buffer, start: number, into: MemberSpans): number {
  into.clear();
  return bytes[start] === OPEN_BRACE ? scanMembers(bytes, start, into) : valueEnd(bytes, start);
}

/** A row image: absent, null, or its projection; INVALID_VALUE when not an object or not valid JSON. */
function image(
  bytes: Buffer,
  start: number,
  end: number,
  members: MemberSpans,
  projection: RowProjection,
): Row | null | undefined | typeof INVALID_VALUE {
  if (start === NOT_JSON) return undefined;
  if (bytes[start] !== OPEN_BRACE) {
    // null, or a string/number/array that the full decoder rejects with its own message.
    return bytes[start] === 0x6e ? null : INVALID_VALUE;
  }
  if (!projection.all) return project(bytes, members, projection) ?? INVALID_VALUE;
  const text = bytes.toString('utf8', start, end);
  try {
    const row = JSON.parse(text) as Record<string, unknown>;
    return hasUnsafeInteger(row) ? (parseJson(text) as Record<string, unknown>) : row;
  } catch {
    return INVALID_VALUE;
  }
}

/**
 * The source block's fields, in an object of one fixed shape (stores by a computed name into a fresh
 * object are slow; these are not). Undefined when a field is not valid JSON.
 */
function readSource(bytes: Buffer, members: MemberSpans): Record<SourceField, unknown> | undefined {
  const source: Record<SourceField, unknown> = {
    connector: undefined,
    schema: undefined,
    db: undefined,
    table: undefined,
    lsn: undefined,
    file: undefined,
    pos: undefined,
    row: undefined,
    txId: undefined,
    ts_ms: undefined,
  };
  const valid = readSelected(bytes, members, SOURCE_FIELDS, sourceStrings, (which, value) => {
    switch (which) {
      case 0:
        source.connector = value;
        break;
      case 1:
        source.schema = value;
        break;
      case 2:
        source.db = value;
        break;
      case 3:
        source.table = value;
        break;
      case 4:
        source.lsn = value;
        break;
      case 5:
        source.file = value;
        break;
      case 6:
        source.pos = value;
        break;
      case 7:
        source.row = value;
        break;
      case 8:
        source.txId = value;
        break;
      default:
        source.ts_ms = value;
    }
  });
  return valid ? source : undefined;
}

/** The selected members as a row; undefined when a selected value is not valid JSON. */
function project(bytes: Buffer, members: MemberSpans, projection: ColumnList): Row | undefined {
  const row: Record<string, unknown> = {};
  const { names } = projection;
  if (names.length === 0) return row;
  const valid = readSelected(bytes, members, projection, undefined, (which, value) => {
    setOwnMember(row, names[which]!, value);
  });
  return valid ? row : undefined;
}

/** Read each selected member from its recorded span; false when a selected value is not valid JSON. */
function readSelected(
  bytes: Buffer,
  spans: MemberSpans,
  projection: ColumnList,
  strings: StringCache | undefined,
  assign: (which: number, value: unknown) => void,
): boolean {
  const { names, encoded, byLength } = projection;
  const members = spans.values;
  for (let at = 0; at < spans.length; at += MEMBER_SPAN) {
    const keyStart = members[at]!;
    const keyEnd = members[at + 1]!;
    let which = -1;
    if (members[at + 4] === 1) {
      const name = readKey(bytes, keyStart, keyEnd);
      if (name === undefined) return false;
      which = names.indexOf(name);
    } else {
      const candidates = byLength[keyEnd - keyStart - 2];
      if (candidates === undefined) continue;
      for (const candidate of candidates) {
        if (keyEquals(bytes, keyStart, keyEnd, encoded[candidate]!)) {
          which = candidate;
          break;
        }
      }
    }
    if (which < 0) continue;
    const value = readValue(bytes, members[at + 2]!, members[at + 3]!, strings);
    if (value === INVALID_VALUE) return false;
    assign(which, value);
  }
  return true;
}
