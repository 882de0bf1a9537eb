import type { Row } from '../../core/change-event';
import { setOwnMember } from '../../core/set-own-member';
import {
  INVALID_VALUE,
  keyEquals,
  MEMBER_SPAN,
  type MemberSpans,
  readKey,
  readValue,
  type StringCache,
} from './json-bytes';

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

/** The selected members as a row; undefined when a selected value is not valid JSON. */
export function project(bytes: Buffer, members: MemberSpans, projection: ColumnList): Row | undefined {
  const row: Record<string, unknown> = {};
  const { names } = projection;
  if (names.length === 0) return row;
  const valid = readSelected(bytes, members, projection, undefined, (which, value) => {
    setOwnMember(row, names[which]!, value);
  });
  return valid ? row : undefined;
}

/** Read each selected member from its recorded span; false when a selected value is not valid JSON. */
export function readSelected(
  bytes: Buffer,
  spans: MemberSpans,
  projection: ColumnList,
  strings: StringCache | undefined,
  assign: (which: number, value: unknown) => void,
): boolean {
  const { encoded, byLength, indexes } = projection;
  const members = spans.values;
  for (let at = 0; at < spans.length; at += MEMBER_SPAN) {
    const keyStart = members[at]!;
    const keyEnd = members[at + 1]!;
    let which = -1;
    if (members[at + 4] === 1) {
      const name = readKey(bytes, keyStart, keyEnd);
      if (name === undefined) return false;
      which = indexes.get(name) ?? -1;
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
