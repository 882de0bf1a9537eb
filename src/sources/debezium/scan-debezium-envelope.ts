import type { Row } from '../../core/change-event';
import { convertImage, type EnvelopePlan, envelopePlan, type ImagePlan } from './connect-schema-plan';
import {
  hasEscape,
  INVALID_VALUE,
  keyEquals,
  MEMBER_SPAN,
  MemberSpans,
  NOT_JSON,
  readValue,
  scanMembers,
  skipWhitespace,
  valueEnd,
} from './json-bytes';
import { KnownSchemas, startsWithMember } from './known-schemas';
import { hasUnsafeInteger, parseJson } from './parse-json';
import { RepeatedStrings } from './repeated-strings';
import {
  BAD_KEY,
  type ColumnList,
  columnList,
  NO_COLUMNS,
  NOT_SELECTED,
  project,
  type RowProjection,
  selectedColumn,
} from './row-projection';

/** What the decoder reads from an envelope: the op, the source block's ordering fields, projected images. */
export interface ScannedEnvelope {
  readonly op: string;
  readonly source: Record<string, unknown>;
  readonly before: Row | null | undefined;
  readonly after: Row | null | undefined;
  /** Read with a Kafka Connect schema (`{ schema, payload }`): the images are converted already. */
  readonly schemas: boolean;
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
const SCHEMA = Buffer.from('schema');
// Byte codes kept module-local, like json-bytes.ts's: imported constants compile to property loads.
const OPEN_BRACE = 0x7b;
const COLON = 0x3a;
const COMMA = 0x2c;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;

/** The names a topic's source blocks repeat (connector, schema, database, table, binlog file), by field. */
const sourceNames = new RepeatedStrings(SOURCE_FIELDS.names.length);
/** Member spans of the images and the source block; reused across calls (decoding is synchronous). */
const spans = { before: new MemberSpans(), after: new MemberSpans(), source: new MemberSpans() };

/** Where the envelope's fields are, from the last {@link envelopeEnd}; NOT_JSON while absent. */
const found = {
  before: NOT_JSON,
  beforeEnd: NOT_JSON,
  after: NOT_JSON,
  afterEnd: NOT_JSON,
  source: NOT_JSON,
  op: NOT_JSON,
  opEnd: NOT_JSON,
};
/** Plans of the schema blocks seen (`schemas.enable=true`), found by their bytes. */
const schemaPlans = new KnownSchemas(envelopePlan);

/**
 * Read a Debezium envelope (JSON converter, with or without schemas) straight from its bytes in one pass,
 * keeping only the image columns `projectionFor(source)` asks for, converted as its schema says. Returns
 * undefined for anything else (a flattened message, invalid JSON, a schema whose conversions it does not
 * reproduce exactly), which the caller decodes with JSON.parse instead.
 *
 * @example
 * scanDebeziumEnvelope(bytes, () => projectColumns(['id']))?.after // { id: 42 }
 */
export function scanDebeziumEnvelope(
  bytes: Buffer,
  projectionFor: (source: Record<string, unknown>) => RowProjection,
  topic = '',
): ScannedEnvelope | undefined {
  const start = skipWhitespace(bytes, 0);
  let plan: EnvelopePlan | undefined;
  let end: number;
  if (startsWithMember(bytes, start, SCHEMA) || startsWithMember(bytes, start, PAYLOAD)) {
    const wrapped = wrapperEnd(bytes, start, topic);
    if (wrapped === undefined) return undefined;
    ({ end, plan } = wrapped);
  } else end = envelopeEnd(bytes, start);
  if (end === NOT_JSON || skipWhitespace(bytes, end) !== bytes.length) return undefined;
  const { before, beforeEnd, after, afterEnd, source, op, opEnd } = found;
  if (op === NOT_JSON || bytes[op] !== QUOTE || source === NOT_JSON || bytes[source] !== OPEN_BRACE) {
    return undefined;
  }
  const opCode = readValue(bytes, op, opEnd);
  const sourceBlock = readSource(bytes, spans.source);
  if (typeof opCode !== 'string' || sourceBlock === undefined) return undefined;
  // A truncate or a logical decoding message carries no row.
  const projection = opCode === 't' || opCode === 'm' ? NO_COLUMNS : projectionFor(sourceBlock);
  const beforeImage = image(bytes, before, beforeEnd, spans.before, projection);
  const afterImage = image(bytes, after, afterEnd, spans.after, projection);
  if (beforeImage === INVALID_VALUE || afterImage === INVALID_VALUE) return undefined;
  if (plan !== undefined) {
    try {
      if (beforeImage)
        convertImage(beforeImage, plan.before, checkedValues(bytes, spans.before, plan.before));
      if (afterImage) convertImage(afterImage, plan.after, checkedValues(bytes, spans.after, plan.after));
    } catch {
      // The full decoder throws the same error, with the record's position.
      return undefined;
    }
  }
  return {
    op: opCode,
    source: sourceBlock,
    before: beforeImage,
    after: afterImage,
    schemas: plan !== undefined,
  };
}

/**
 * Scan `{ "schema": ..., "payload": <envelope> }` (either order, nothing else): the schema's plan through
 * {@link schemaPlans}, the payload through {@link envelopeEnd}. Undefined when the bytes are not that, or
 * the schema has no plan.
 */
function wrapperEnd(
  bytes: Buffer,
  start: number,
  topic: string,
): { end: number; plan: EnvelopePlan } | undefined {
  let plan: EnvelopePlan | undefined;
  let payload = false;
  let schema = false;
  let index = skipWhitespace(bytes, start + 1);
  for (;;) {
    if (bytes[index] !== QUOTE) return undefined;
    const keyStart = index;
    const keyEnd = valueEnd(bytes, index);
    if (keyEnd === NOT_JSON) return undefined;
    index = skipWhitespace(bytes, keyEnd);
    if (bytes[index] !== COLON) return undefined;
    const valueStart = skipWhitespace(bytes, index + 1);
    let end: number;
    if (!schema && keyEquals(bytes, keyStart, keyEnd, SCHEMA)) {
      schema = true;
      if (bytes[valueStart] !== OPEN_BRACE) return undefined;
      const known = schemaPlans.find(bytes, valueStart, topic);
      if (known === NOT_JSON || known.value === undefined) return undefined;
      plan = known.value;
      end = known.end;
    } else if (!payload && keyEquals(bytes, keyStart, keyEnd, PAYLOAD)) {
      payload = true;
      end = envelopeEnd(bytes, valueStart);
    } else return undefined;
    if (end === NOT_JSON) return undefined;
    index = skipWhitespace(bytes, end);
    if (bytes[index] === CLOSE_BRACE) break;
    if (bytes[index] !== COMMA) return undefined;
    index = skipWhitespace(bytes, index + 1);
  }
  return schema && payload && plan !== undefined ? { end: index + 1, plan } : undefined;
}

/**
 * Scan the envelope object at `start` into {@link found} and {@link spans}: the images and the source
 * block member by member, `op` as a value, the rest skipped. The index past it, or NOT_JSON.
 */
function envelopeEnd(bytes: Buffer, start: number): number {
  spans.before.clear();
  spans.after.clear();
  spans.source.clear();
  found.before = found.beforeEnd = found.after = found.afterEnd = NOT_JSON;
  found.source = found.op = found.opEnd = NOT_JSON;
  if (bytes[start] !== OPEN_BRACE) return NOT_JSON;
  let index = skipWhitespace(bytes, start + 1);
  if (bytes[index] === CLOSE_BRACE) return NOT_JSON;
  for (;;) {
    if (bytes[index] !== QUOTE) return NOT_JSON;
    const keyStart = index;
    const keyEnd = valueEnd(bytes, index);
    if (keyEnd === NOT_JSON) return NOT_JSON;
    index = skipWhitespace(bytes, keyEnd);
    if (bytes[index] !== COLON) return NOT_JSON;
    const valueStart = skipWhitespace(bytes, index + 1);
    let end: number;
    // A duplicate member replaces the earlier one, as with JSON.parse.
    if (keyEquals(bytes, keyStart, keyEnd, BEFORE)) {
      found.before = valueStart;
      end = found.beforeEnd = member(bytes, valueStart, spans.before);
    } else if (keyEquals(bytes, keyStart, keyEnd, AFTER)) {
      found.after = valueStart;
      end = found.afterEnd = member(bytes, valueStart, spans.after);
    } else if (keyEquals(bytes, keyStart, keyEnd, SOURCE)) {
      found.source = valueStart;
      end = member(bytes, valueStart, spans.source);
    } else if (keyEquals(bytes, keyStart, keyEnd, OP)) {
      found.op = valueStart;
      end = found.opEnd = valueEnd(bytes, valueStart);
    } else if (
      keyEquals(bytes, keyStart, keyEnd, PAYLOAD) ||
      keyEquals(bytes, keyStart, keyEnd, SCHEMA) ||
      hasEscape(bytes, keyStart, keyEnd)
    ) {
      // A schema wrapper is only read at the top; an escaped key may spell a field name.
      return NOT_JSON;
    } else {
      end = valueEnd(bytes, valueStart);
    }
    if (end === NOT_JSON) return NOT_JSON;
    index = skipWhitespace(bytes, end);
    if (bytes[index] === CLOSE_BRACE) return index + 1;
    if (bytes[index] !== COMMA) return NOT_JSON;
    index = skipWhitespace(bytes, index + 1);
  }
}

/** Column lists of the checked columns of image plans. */
const checkedLists = new WeakMap<ImagePlan, ColumnList>();

/** The values of a plan's checked columns in an image, undefined when it has none. */
function checkedValues(bytes: Buffer, members: MemberSpans, plan: ImagePlan): Row | undefined {
  if (plan.checked.length === 0) return undefined;
  let list = checkedLists.get(plan);
  if (!list) {
    list = columnList(plan.checked);
    checkedLists.set(plan, list);
  }
  const values = project(bytes, members, list);
  // Selected values were read already; an image that was not an object has no members.
  if (values === undefined) throw new Error('unreadable checked column');
  return values;
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
  const spans = members.values;
  for (let at = 0; at < members.length; at += MEMBER_SPAN) {
    const which = selectedColumn(bytes, members, at, SOURCE_FIELDS);
    if (which === NOT_SELECTED) continue;
    if (which === BAD_KEY) return undefined;
    const start = spans[at + 2]!;
    const end = spans[at + 3]!;
    // The same bytes as last time in this field read as the same value: no need to check them again.
    let value: unknown = sourceNames.lookup(which, bytes, start, end);
    if (value === undefined) {
      value = readValue(bytes, start, end);
      if (value === INVALID_VALUE) return undefined;
      if (typeof value === 'string') sourceNames.remember(which, bytes, start, end, value);
    }
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
  }
  return source;
}
