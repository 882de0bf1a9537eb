import { convertToNative } from '@aws-sdk/util-dynamodb';
import type { AttributeValue, DynamoDBRecord } from 'aws-lambda';
import type { ChangeEvent, ChangeOp, Row } from '../../core/change-event';
import { setOwnMember } from '../../core/set-own-member';
import { CdcCacheError, excerpt } from '../../errors';
import { DYNAMODB_VERSION_WIDTH, dynamodbVersion } from '../../keyspace/source-version';

/** Options of {@link decodeStreamRecord}. */
export interface DecodeStreamRecordOptions {
  /** The table name to report; default: parsed from the record's `eventSourceARN`. */
  tableName?: string;
  /** A numeric item attribute (e.g. `version`) to use as the change version instead of the sequence number. */
  versionAttribute?: string;
}

/**
 * Width of a version: DynamoDB sequence numbers are decimal strings of 21 to 40 digits (API reference,
 * `StreamRecord.SequenceNumber`), so left-padding them to 40 digits makes byte-wise order numeric order.
 */
export const VERSION_WIDTH = DYNAMODB_VERSION_WIDTH;

const EVENT_OPS: Readonly<Record<string, ChangeOp>> = {
  INSERT: 'create',
  MODIFY: 'update',
  REMOVE: 'delete',
};
const DIGITS = /^\d{1,40}$/;
const INTEGER = /^-?\d+$/;

/**
 * Decode one DynamoDB stream record (the Lambda event shape) into a {@link ChangeEvent} whose position is
 * the record's SequenceNumber. Images are unmarshalled with numbers kept exact: a number becomes a JS number
 * when that loses nothing, a bigint for larger integers, and stays a decimal string otherwise; sets become
 * arrays and binary values base64 strings. Throws a non-retriable `CDC_DECODE_FAILED` naming what is wrong.
 *
 * `before`/`after` always carry at least the key attributes: with KEYS_ONLY, the images are the keys
 * (enough for delete mode; refresh mode is refused at startup, see `checkStreamViewType`).
 *
 * @example
 * const event = decodeStreamRecord(lambdaEvent.Records[0])
 * // { source: 'dynamodb', table: 'Products', op: 'update', key: { pk: 'A1' }, version: '000…0123', ... }
 */
export function decodeStreamRecord(
  record: DynamoDBRecord,
  options: DecodeStreamRecordOptions = {},
): ChangeEvent<string> {
  const stream = record?.dynamodb;
  const sequenceNumber = stream?.SequenceNumber;
  const fail = (problem: string, cause?: unknown): never => {
    throw new CdcCacheError(
      'CDC_DECODE_FAILED',
      `DynamoDB stream record ${sequenceNumber ?? '?'}: ${problem}`,
      {
        cause,
        details: { sequenceNumber, eventID: record?.eventID, eventSourceARN: record?.eventSourceARN },
      },
    );
  };
  if (!stream) return fail("has no 'dynamodb' field");
  if (typeof sequenceNumber !== 'string' || !DIGITS.test(sequenceNumber))
    return fail('SequenceNumber must be a string of up to 40 digits');
  const eventName = record.eventName;
  if (typeof eventName !== 'string' || !Object.hasOwn(EVENT_OPS, eventName))
    return fail(`eventName '${excerpt(eventName)}' is not INSERT, MODIFY or REMOVE`);
  const op = EVENT_OPS[eventName]!;
  const table = options.tableName ?? tableFromArn(record.eventSourceARN);
  if (!table)
    return fail(`cannot read the table name from eventSourceARN '${excerpt(record.eventSourceARN)}'`);

  let key: Row;
  let newImage: Row | null;
  let oldImage: Row | null;
  try {
    newImage = stream.NewImage ? toRow(stream.NewImage) : null;
    oldImage = stream.OldImage ? toRow(stream.OldImage) : null;
    key = keyRow(stream.Keys, newImage ?? oldImage);
  } catch (error) {
    return fail(`cannot unmarshall attributes: ${excerpt((error as Error).message, 200)}`, error);
  }
  if (Object.keys(key).length === 0) return fail("has no 'Keys'");

  // Images absent from the stream view type fall back to the keys, which never change for an item.
  const before = op === 'create' ? null : (oldImage ?? key);
  const after = op === 'delete' ? null : (newImage ?? key);
  // A version attribute restarts when an item is deleted and created again, so a REMOVE carries no version:
  // the worker then forgets the item's versions instead of remembering one the next incarnation starts below.
  let version: string;
  if (!options.versionAttribute) version = sequenceVersion(sequenceNumber);
  else if (op === 'delete') version = '';
  else version = versionFromAttribute(options.versionAttribute, newImage ?? oldImage, fail);
  return {
    source: 'dynamodb',
    table,
    op,
    before,
    after,
    key,
    version,
    committedAt: committedAt(stream.ApproximateCreationDateTime),
    position: sequenceNumber,
  };
}

/**
 * A sequence number as a version.
 *
 * Why comparing them orders the changes of one item: DynamoDB writes every change of an item, in the order
 * the changes happened, to the one shard that currently holds the item's partition key. Within a shard,
 * sequence numbers increase with time; when a shard closes and splits, its children only receive changes
 * made after the parent's last record, with greater sequence numbers. So for a single partition key the
 * sequence number grows monotonically across parent and child shards — which is all a per-key version
 * guard needs (the numbers of two different keys are never compared). Decimal strings of equal length
 * compare byte-wise exactly as their numeric values do, hence the fixed-width zero padding.
 */
export function sequenceVersion(sequenceNumber: string): string {
  return dynamodbVersion(sequenceNumber) ?? '';
}

function versionFromAttribute(
  attribute: string,
  image: Row | null,
  fail: (problem: string) => never,
): string {
  // KEYS_ONLY, or a REMOVE seen through NEW_IMAGE: no image carries the attribute; the version is unknown.
  if (image === null) return '';
  // The SDK encodes a loader's `ctx.readPosition(item.version)` with the same function.
  return (
    dynamodbVersion(image[attribute]) ??
    fail(`version attribute '${attribute}' must be a non-negative integer of up to 40 digits`)
  );
}

/**
 * True when DynamoDB's Time To Live deleted the item (the record's userIdentity is the DynamoDB service):
 * handled as a delete like any other, but worth counting apart.
 *
 * @example
 * if (isTtlDeletion(record)) metrics.count('TtlDeletes')
 */
export function isTtlDeletion(record: DynamoDBRecord): boolean {
  const identity = record?.userIdentity as { type?: string; principalId?: string } | undefined;
  return identity?.type === 'Service' && identity.principalId === 'dynamodb.amazonaws.com';
}

/**
 * The table name in a DynamoDB table or stream ARN (`arn:aws:dynamodb:<region>:<account>:table/<name>/...`).
 *
 * @example
 * tableFromArn('arn:aws:dynamodb:us-east-1:123:table/Products/stream/2024-01-01T00:00:00.000') // 'Products'
 */
export function tableFromArn(arn: string | undefined): string | undefined {
  if (typeof arn !== 'string') return undefined;
  const match = /:table\/([^/]+)/.exec(arn);
  return match?.[1];
}

function committedAt(value: unknown): number | null {
  // Lambda events carry epoch seconds; the SDK's GetRecords output a Date.
  if (typeof value === 'number' && Number.isFinite(value)) return Math.round(value * 1000);
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  return null;
}

// Every image holds the key attributes: pick them from an image already decoded instead of decoding twice.
function keyRow(keys: Record<string, AttributeValue> | undefined, image: Row | null): Row {
  if (!keys || !image) return toRow(keys);
  const row: Record<string, unknown> = {};
  for (const name of Object.keys(keys)) {
    if (!Object.hasOwn(image, name)) return toRow(keys);
    setOwnMember(row, name, image[name]);
  }
  return row;
}

/** Deeper attribute values are rejected: DynamoDB itself allows 32 levels. */
const MAX_DEPTH = 64;

function toRow(image: Record<string, AttributeValue> | undefined): Row {
  if (!image) return {};
  if (typeof image !== 'object')
    throw new TypeError(`an image is ${typeof image}, expected a map of attributes`);
  return toMap(image, 0);
}

/**
 * A map of attribute values as a row. Maps and lists are walked here rather than by the SDK's `unmarshall`,
 * which stores members with `acc[key] = ...`: an attribute named `__proto__` would replace the prototype.
 */
function toMap(map: Record<string, AttributeValue>, depth: number): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const name of Object.keys(map)) setOwnMember(row, name, toNative(map[name]!, depth));
  return row;
}

function toNative(value: AttributeValue, depth: number): unknown {
  if (depth > MAX_DEPTH) throw new RangeError(`attribute values nest deeper than ${MAX_DEPTH} levels`);
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`an attribute value is ${String(value)}`);
  if (value.M !== undefined && typeof value.M === 'object' && value.M !== null && !Array.isArray(value.M))
    return toMap(value.M, depth + 1);
  if (Array.isArray(value.L)) return value.L.map((item) => toNative(item, depth + 1));
  // biome-ignore lint/suspicious/noExplicitAny: the Lambda and SDK AttributeValue types differ only nominally.
  return plain(convertToNative(value as any, { wrapNumbers: normaliseNumber }));
}

/**
 * A DynamoDB number (a decimal string of up to 38 significant digits) as the most natural exact JS value:
 * a number when it round-trips, a bigint for a larger integer, otherwise the decimal string itself.
 */
export function normaliseNumber(text: string): number | bigint | string {
  const value = Number(text);
  if (INTEGER.test(text)) return Number.isSafeInteger(value) ? value : BigInt(text);
  return Number.isFinite(value) && sameDecimal(String(value), text) ? value : text;
}

function sameDecimal(rendered: string, text: string): boolean {
  if (rendered === text) return true;
  // '1.50' and '1.5' are the same number; an exponent form from String() is compared through Number.
  return Number(rendered) === Number(text) && stripZeros(rendered) === stripZeros(text);
}

function stripZeros(text: string): string {
  if (!text.includes('.') || /e/i.test(text)) return text;
  // A loop, not `/0+$/`: that regex retries from every zero of a long inner run, quadratic in its length.
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0x30) end--;
  if (text.charCodeAt(end - 1) === 0x2e) end--;
  return text.slice(0, end);
}

function plain(value: unknown): unknown {
  if (value instanceof Set) return [...value].map(plain);
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    for (const name of Object.keys(record)) record[name] = plain(record[name]);
  }
  return value;
}
