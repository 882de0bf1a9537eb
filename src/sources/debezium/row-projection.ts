import type { Row } from '../../core/change-event';
import { setOwnMember } from '../../core/set-own-member';
import { INVALID_VALUE, keyEquals, MEMBER_SPAN, type MemberSpans, readKey, readValue } from './json-bytes';

/** Named columns, with their UTF-8 bytes for matching keys in place. */
export interface ColumnList {
  readonly all: false;
  readonly names: readonly string[];
  readonly encoded: readonly Uint8Array[];
  /** Indexes into `names` by UTF-8 length: a key is compared only with names of its length. */
  readonly byLength: readonly (readonly number[] | undefined)[];
  /** Indexes into `names` by name, for keys written with escapes (a schema's list of columns may be long). */
  readonly indexes: ReadonlyMap<string, number>;
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

export function columnList(columns: readonly string[]): ColumnList {
  const names = [...new Set(columns)];
  const encoded = names.map((name) => Buffer.from(name, 'utf8'));
  const byLength: number[][] = [];
  encoded.forEach((bytes, index) => {
    byLength[bytes.length] ??= [];
    byLength[bytes.length]!.push(index);
  });
  return {
    all: false,
    names,
    encoded,
    byLength,
    indexes: new Map(names.map((name, index) => [name, index])),
  };
}

/** A projection keeping no column: the table's events need no image (a table outside the keyspace). */
export const NO_COLUMNS = projectColumns([]);

/** Returned by {@link selectedColumn} for a member the projection does not keep. */
const NOT_SELECTED = -1;
/** Returned by {@link selectedColumn} for a key with a malformed escape sequence (JSON.parse rejects it). */
const BAD_KEY = -2;

export { BAD_KEY, NOT_SELECTED };

/**
 * The selected members as a row, in the message's order; undefined when a selected value is not valid JSON.
 */
export function project(bytes: Buffer, members: MemberSpans, projection: ColumnList): Row | undefined {
  const row: Record<string, unknown> = {};
  const { names } = projection;
  if (names.length === 0) return row;
  const spans = members.values;
  for (let at = 0; at < members.length; at += MEMBER_SPAN) {
    const which = selectedColumn(bytes, members, at, projection);
    if (which === NOT_SELECTED) continue;
    if (which === BAD_KEY) return undefined;
    const value = readValue(bytes, spans[at + 2]!, spans[at + 3]!);
    if (value === INVALID_VALUE) return undefined;
    setOwnMember(row, names[which]!, value);
  }
  return row;
}

/**
 * Which of the projection's columns the member recorded at `at` of `members` is: its index in `names`,
 * NOT_SELECTED, or BAD_KEY. A key written with escapes is decoded and looked up by name.
 */
export function selectedColumn(
  bytes: Buffer,
  members: MemberSpans,
  at: number,
  projection: ColumnList,
): number {
  const spans = members.values;
  const keyStart = spans[at]!;
  const keyEnd = spans[at + 1]!;
  if (spans[at + 4] === 1) {
    const name = readKey(bytes, keyStart, keyEnd);
    if (name === undefined) return BAD_KEY;
    return projection.indexes.get(name) ?? NOT_SELECTED;
  }
  const candidates = projection.byLength[keyEnd - keyStart - 2];
  if (candidates === undefined) return NOT_SELECTED;
  const { encoded } = projection;
  for (let index = 0; index < candidates.length; index++) {
    const candidate = candidates[index]!;
    if (keyEquals(bytes, keyStart, keyEnd, encoded[candidate]!)) return candidate;
  }
  return NOT_SELECTED;
}
