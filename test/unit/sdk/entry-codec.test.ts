import fc from 'fast-check';
import { readEntryHeader } from '../../../src/redis/entry-format';
import { readEntry, writeEntry } from '../../../src/sdk/entry-codec';

describe('readEntry', () => {
  it.each([
    ['an absent key', null, 0, 'absent'],
    ['a foreign value', '{"id":1}', 0, 'absent'],
    ['a tombstone', 't|0|00000000000000000042|1000', 0, 'absent'],
    ['a lease', 'l|0||token', 0, 'leased'],
    ['a lease of an older generation', 'l|1||token', 2, 'absent'],
    ['a fresh value', 'v|0||1000|3000||j{"id":1}', 0, 'fresh'],
    ['a value of an older generation', 'v|0||1000|3000||j{"id":1}', 1, 'absent'],
    [
      'a value of another generation (generations are random, not ordered)',
      'v|5||1000|3000||j{"id":1}',
      1,
      'absent',
    ],
    ['a value when the generation key is missing', 'v|0||1000|3000||j{"id":1}', null, 'absent'],
    ['a value past its soft expiry', 'v|0||1000|1500||j{"id":1}', 0, 'stale'],
    ['a truncated value', 'v|0||1000', 0, 'absent'],
  ])('reads %s', (_case, raw, generation, state) => {
    expect(readEntry(raw, generation, 2000).state).toBe(state);
  });

  it('returns the payload even when it contains the separator, and tells a not-found and a refresh apart', () => {
    // Act
    const value = readEntry('v|0|00000000000000000007|1000|3000|tok.9|j"a|b"', 0, 2000);
    const notFound = readEntry('n|0||1000|3000||', 0, 2000);
    // Assess
    expect(value).toEqual({
      state: 'fresh',
      found: true,
      payload: 'j"a|b"',
      staleAtMs: 3000,
      refreshing: true,
    });
    expect(notFound).toEqual({
      state: 'fresh',
      found: false,
      payload: '',
      staleAtMs: 3000,
      refreshing: false,
    });
  });

  it('reads back what writeEntry wrote, and the shared header agrees (property)', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.stringMatching(/^[0-9A-F]{0,20}$/),
        fc.nat(),
        fc.nat(),
        fc.option(fc.string()),
        (generation, version, writtenAtMs, lifetime, payload) => {
          const raw = writeEntry({
            generation,
            version,
            writtenAtMs,
            staleAtMs: writtenAtMs + lifetime + 1,
            payload,
          });
          const entry = readEntry(raw, generation, writtenAtMs);
          const header = readEntryHeader(raw);
          return (
            entry.state === 'fresh' &&
            entry.found === (payload !== null) &&
            entry.payload === (payload ?? '') &&
            header?.generation === generation &&
            header.version === version
          );
        },
      ),
    );
  });
});
