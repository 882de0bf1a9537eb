import type { Row } from '../../core/change-event';
import { setOwnMember } from '../../core/set-own-member';
import {
  INVALID_VALUE,
  MEMBER_SPAN,
  MemberSpans,
  NOT_JSON,
  readKey,
  readValue,
  StringCache,
  scanMembers,
  skipWhitespace,
} from './json-bytes';

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
