import fc from 'fast-check';
import {
  INVALID_VALUE,
  MemberSpans,
  NOT_JSON,
  readValue,
  scanMembers,
  valueEnd,
} from '../../../src/sources/debezium/json-bytes';

// Strings longer than 16 bytes are read four bytes at a time (plain-text.ts); a quote counts as closing only
// after an even run of backslashes: the alphabet below makes such runs common.
const unit = fc.constantFrom('a', '"', '\\', 'é', '\n', '☃');
const tricky = fc.oneof(
  fc.string({ unit, maxLength: 30 }),
  fc.string({ unit, minLength: 20, maxLength: 200, size: 'max' }),
);

describe('json-bytes', () => {
  it('finds the end of any string value and reads it back as JSON.parse would', () => {
    fc.assert(
      fc.property(tricky, fc.string({ maxLength: 5 }), (text, tail) => {
        const json = JSON.stringify(text);
        const bytes = Buffer.from(`${json},${JSON.stringify(tail)}`);
        const end = valueEnd(bytes, 0);
        expect(end).toBe(Buffer.byteLength(json));
        expect(readValue(bytes, 0, end)).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the end of nested values whose strings hold brackets and escaped quotes', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const json = JSON.stringify(value);
        const bytes = Buffer.from(`${json} `);
        expect(valueEnd(bytes, 0)).toBe(Buffer.byteLength(json));
      }),
      { numRuns: 1000 },
    );
  });

  it('records every member of an object, and refuses what is not one', () => {
    const spans = new MemberSpans();
    const bytes = Buffer.from('{ "a" : 1 , "b\\"c":"x", "d":[1,{"e":"}"}] }');
    expect(scanMembers(bytes, 0, spans)).toBe(bytes.length);
    expect(spans.length).toBe(15);
    expect(spans.values[9]).toBe(1); // the second key holds an escape
    for (const broken of ['{"a" 1}', '{"a":1,}', '{"a":1', '{a:1}', '{"a":"b\u0001"}', '{"a":nul}']) {
      spans.clear();
      expect(scanMembers(Buffer.from(broken), 0, spans)).toBe(NOT_JSON);
    }
  });

  it('reads one-character strings (op codes) as JSON.parse does, whatever the byte', () => {
    for (let code = 0x20; code < 0x100; code++) {
      if (code === 0x22 || code === 0x5c) continue;
      const bytes = Buffer.from([0x22, code, 0x22]);
      expect(readValue(bytes, 0, 3)).toBe(JSON.parse(bytes.toString('utf8')));
    }
  });

  it('reads numbers exactly, keeping integers beyond 2^53 as their digits, and rejects bad ones', () => {
    const read = (text: string) => readValue(Buffer.from(text), 0, text.length);
    expect(read('42')).toBe(42);
    expect(read('-0')).toBe(-0);
    expect(read('1.5e3')).toBe(1500);
    expect(read('123456789012345')).toBe(123456789012345);
    expect(read('9007199254740993')).toBe('9007199254740993');
    expect(read('-12345678901234567890')).toBe('-12345678901234567890');
    expect(read('01')).toBe(INVALID_VALUE);
    expect(read('1.')).toBe(INVALID_VALUE);
    expect(read('--1')).toBe(INVALID_VALUE);
  });
});
