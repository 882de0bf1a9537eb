import fc from 'fast-check';
import { createDebeziumDecoder } from '../../../src/sources/debezium';
import { MessageText } from '../../../src/sources/debezium/message-text';
import { RepeatedStrings } from '../../../src/sources/debezium/repeated-strings';
import { debeziumRecord, mysqlEnvelope, pgEnvelope } from './debezium-factories';

// Strings the byte scanner reads: ASCII ones are slices of the message's Latin-1 text, others decoded as
// UTF-8; a source block's names are handed out again while their bytes stay the same.

/** The quoted span of `value` inside `{"v":<value>}`, and a MessageText over those bytes. */
function quotedIn(value: string): { text: MessageText; start: number; end: number } {
  const bytes = Buffer.from(`{"v":${JSON.stringify(value)}}`);
  const text = new MessageText();
  text.reset(bytes);
  return { text, start: 5, end: bytes.length - 1 };
}

describe('MessageText', () => {
  it('reads strings without escapes as JSON.parse does, ASCII or not', () => {
    const unit = fc.constantFrom('a', 'Z', ' ', '~', '\x7f', 'é', 'ÿ', '☃', '😀', '\u0080');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (value) => {
        const { text, start, end } = quotedIn(value);
        expect(text.quoted(start, end)).toBe(value);
      }),
      { numRuns: 1000 },
    );
  });

  it('leaves strings with escape sequences to JSON.parse', () => {
    for (const value of ['a"b', 'back\\slash', 'new\nline', '\u0001']) {
      const { text, start, end } = quotedIn(value);
      expect(text.quoted(start, end)).toBeUndefined();
    }
  });

  it('reads each message from its own bytes after a reset', () => {
    const text = new MessageText();
    text.reset(Buffer.from('"abc"'));
    expect(text.quoted(0, 5)).toBe('abc');
    text.reset(Buffer.from('"xyz"'));
    expect(text.quoted(0, 5)).toBe('xyz');
  });
});

describe('RepeatedStrings', () => {
  it('hands out a remembered string only for the same bytes in the same place', () => {
    const strings = new RepeatedStrings(2);
    const bytes = Buffer.from('"users""order""users"');
    expect(strings.lookup(0, bytes, 0, 7)).toBeUndefined();
    strings.remember(0, bytes, 0, 7, 'users');
    expect(strings.lookup(0, bytes, 14, 21)).toBe('users');
    expect(strings.lookup(0, bytes, 7, 14)).toBeUndefined();
    expect(strings.lookup(1, bytes, 0, 7)).toBeUndefined();
    expect(strings.lookup(0, bytes, 0, 6)).toBeUndefined();
  });

  it('does not keep the bytes it was shown: later writes to the message do not change what it matches', () => {
    const strings = new RepeatedStrings(1);
    const bytes = Buffer.from('"users"');
    strings.remember(0, bytes, 0, 7, 'users');
    bytes.write('"order"');
    expect(strings.lookup(0, bytes, 0, 7)).toBeUndefined();
  });

  it('does not remember long values', () => {
    const strings = new RepeatedStrings(1);
    const bytes = Buffer.from(JSON.stringify('x'.repeat(100)));
    strings.remember(0, bytes, 0, bytes.length, 'x'.repeat(100));
    expect(strings.lookup(0, bytes, 0, bytes.length)).toBeUndefined();
  });
});

describe('the projected decoder on a stream of messages', () => {
  it('names each message its own table and connector when consecutive ones differ by a byte', () => {
    const decode = createDebeziumDecoder({ columns: () => ['id'] });
    const messages = [
      pgEnvelope(),
      pgEnvelope({ source: { ...(pgEnvelope()['source'] as object), schema: 'publiq', table: 'usert' } }),
      pgEnvelope(),
      mysqlEnvelope(),
      mysqlEnvelope({ source: { ...(mysqlEnvelope()['source'] as object), connector: 'mysql' } }),
      pgEnvelope({ source: { ...(pgEnvelope()['source'] as object), table: 'us\\u0065rs' } }),
    ];
    const tables = messages.map((message) => {
      const text = JSON.stringify(message).replace('us\\\\u0065rs', 'us\\u0065rs');
      const [event] = decode(debeziumRecord(text));
      return `${event?.source} ${event?.table}`;
    });
    expect(tables).toEqual([
      'postgres public.users',
      'postgres publiq.usert',
      'postgres public.users',
      'mysql cdc_cache_test.users',
      'mysql cdc_cache_test.users',
      'postgres public.users',
    ]);
  });
});
