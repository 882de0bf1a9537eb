import fc from 'fast-check';
import { type AuditedChange, classifyEntry, classifyTruncation } from '../../../src/audit/classify-entry';
import { writeEntry } from '../../../src/sdk/entry-codec';

const COMMIT = 1_700_000_010_000;
const V = '00000000000000000100';
const known: AuditedChange = { version: V, newerFromMs: COMMIT + 1 };
const unknown: AuditedChange = { version: '', newerFromMs: COMMIT + 1 };
const value = (version: string, writtenAtMs: number, generation = 0, payload: string | null = 'j{"id":1}') =>
  writeEntry({ generation, version, writtenAtMs, staleAtMs: writtenAtMs + 60_000, payload });

describe('classifyEntry', () => {
  it.each([
    ['an absent key', null, 0, known, 'absent'],
    ['a key that is not a cdc-cache entry', '{"id":1}', 0, known, 'not-an-entry'],
    ['a lease', 'l|0||tok', 0, known, 'lease'],
    ['a tombstone at the change version', `t|0|${V}|${COMMIT}`, 0, known, 'tombstone'],
    ['a tombstone at a newer version', `t|0|00000000000000000200|${COMMIT}`, 0, known, 'tombstone'],
    [
      'a value of an older generation (reads as a miss)',
      value('', COMMIT - 5000, 1),
      2,
      unknown,
      'older-generation',
    ],
    ['a refresh at the change version', value(V, COMMIT - 5000), 0, known, 'newer-version'],
    ['a refresh at a newer version', value('00000000000000000101', COMMIT - 5000), 0, known, 'newer-version'],
    ['an SDK fill written after the commit', value('', COMMIT + 1), 0, known, 'written-after'],
    ['a value written after a change of unknown version', value(V, COMMIT + 1), 0, unknown, 'written-after'],
    ['a not-found written after the commit', value('', COMMIT + 1, 0, null), 0, known, 'written-after'],
  ])('calls %s consistent', (_case, raw, generation, change, reason) => {
    expect(classifyEntry(raw, generation, change)).toEqual({ consistent: true, reason });
  });

  it.each([
    [
      'a refresh at an older version, even written after the commit',
      value('00000000000000000099', COMMIT + 10),
      0,
      known,
      'older-version',
      COMMIT + 10,
    ],
    ['an SDK fill written before the commit', value('', COMMIT - 1), 0, known, 'written-before', COMMIT - 1],
    ['an SDK fill written in the commit millisecond', value('', COMMIT), 0, known, 'written-before', COMMIT],
    [
      'a cached not-found written before a create',
      value('', COMMIT - 1, 0, null),
      0,
      known,
      'written-before',
      COMMIT - 1,
    ],
    [
      'a value of the current generation written before',
      value('', COMMIT - 1, 3),
      3,
      unknown,
      'written-before',
      COMMIT - 1,
    ],
    [
      'a value of a newer generation written before',
      value('', COMMIT - 1, 4),
      3,
      unknown,
      'written-before',
      COMMIT - 1,
    ],
  ])('calls %s inconsistent', (_case, raw, generation, change, reason, writtenAtMs) => {
    expect(classifyEntry(raw, generation, change)).toEqual({ consistent: false, reason, writtenAtMs });
  });

  it('judges by version whenever both are known, and by time otherwise (property)', () => {
    const version = fc.bigInt({ min: 0n, max: 10n ** 19n }).map((n) => n.toString().padStart(20, '0'));
    fc.assert(
      fc.property(
        version,
        version,
        fc.integer({ min: -10_000, max: 10_000 }),
        (entryVersion, changeVersion, offset) => {
          const verdict = classifyEntry(value(entryVersion, COMMIT + offset), 0, {
            version: changeVersion,
            newerFromMs: COMMIT + 1,
          });
          expect(verdict.consistent).toBe(entryVersion >= changeVersion);
          const untimed = classifyEntry(value('', COMMIT + offset), 0, {
            version: changeVersion,
            newerFromMs: COMMIT + 1,
          });
          expect(untimed.consistent).toBe(offset > 0);
        },
      ),
    );
  });
});

describe('classifyTruncation', () => {
  it('is consistent once the truncation key reached the version', () => {
    expect(classifyTruncation(V, V).consistent).toBe(true);
    expect(classifyTruncation('00000000000000000101', V).consistent).toBe(true);
    expect(classifyTruncation('00000000000000000099', V).consistent).toBe(false);
    expect(classifyTruncation(null, V).consistent).toBe(false);
  });
});
