import { parseJson } from '../../../src/sources/debezium';

describe('parseJson', () => {
  it('parses ordinary JSON as JSON.parse does', () => {
    const text = '{"a":1,"b":[1.5,-2e3,"x"],"c":{"d":null,"e":true}}';
    expect(parseJson(text)).toEqual(JSON.parse(text));
  });

  it('keeps unsafe integers exact as decimal strings and safe ones as numbers', () => {
    expect(parseJson('{"big":-9223372036854775808,"safe":9007199254740991,"f":1234567890123456.5}')).toEqual({
      big: '-9223372036854775808',
      safe: 9007199254740991,
      f: 1234567890123456.5,
    });
  });

  it('leaves long digit runs inside strings alone, escaped quotes included', () => {
    expect(parseJson('{"s":"\\"12345678901234567890","n":[12345678901234567890]}')).toEqual({
      s: '"12345678901234567890',
      n: ['12345678901234567890'],
    });
  });

  it('falls back to a tokenizer when a long digit run inside a string looks like a value', () => {
    const text = '{"s":"a:12345678901234567890,b","n":12345678901234567890}';
    expect(parseJson(text)).toEqual({ s: 'a:12345678901234567890,b', n: '12345678901234567890' });
  });

  it('throws on invalid JSON', () => {
    expect(() => parseJson('{"a":')).toThrow(SyntaxError);
  });
});
