import { createDebeziumDecoder } from '../../../src/sources/debezium';
import { RepeatedStrings } from '../../../src/sources/debezium/repeated-strings';
import { scanRecordKey } from '../../../src/sources/debezium/scan-record-key';
import { debeziumRecord, mysqlEnvelope, pgEnvelope } from './debezium-factories';

// A source block's names are handed out again while their bytes stay the same, and only then.

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

describe('record keys on a stream of messages', () => {
  it('names each key its own columns when consecutive ones differ by a byte, past the remembered places too', () => {
    const wide = Object.fromEntries(Array.from({ length: 12 }, (_unused, column) => [`c${column}`, column]));
    const keys = [
      { id: 1 },
      { ie: 2 },
      { id: 3, tenant: 'a' },
      { id: 4, tenanu: 'b' },
      wide,
      { ...wide, c11: 'x', c10: 'y' },
      { id: 5 },
    ];
    for (const key of keys) {
      const text = JSON.stringify(key);
      expect(scanRecordKey(Buffer.from(text))).toEqual(JSON.parse(text));
    }
  });
});
