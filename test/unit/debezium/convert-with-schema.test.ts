import fc from 'fast-check';
import { convertWithSchema } from '../../../src/sources/debezium';

const decimalSchema = (scale: number) => ({
  type: 'bytes',
  name: 'org.apache.kafka.connect.data.Decimal',
  parameters: { scale: String(scale) },
});

/** Encode an unscaled integer as Kafka Connect does: minimal big-endian two's complement, base64. */
function connectDecimalBytes(unscaled: bigint): string {
  let width = 1;
  while (unscaled < -(1n << BigInt(width * 8 - 1)) || unscaled >= 1n << BigInt(width * 8 - 1)) width++;
  const bytes = Buffer.alloc(width);
  let rest = BigInt.asUintN(width * 8, unscaled);
  for (let index = width - 1; index >= 0; index--) {
    bytes[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return bytes.toString('base64');
}

describe('convertWithSchema', () => {
  it.each([
    [1234n, 2, '12.34'],
    [-1234n, 2, '-12.34'],
    [5n, 3, '0.005'],
    [-5n, 3, '-0.005'],
    [0n, 2, '0.00'],
    [123n, 0, '123'],
    [128n, 1, '12.8'],
    [-129n, 0, '-129'],
  ])('decodes Connect Decimal %s with scale %s as %s', (unscaled, scale, expected) => {
    expect(convertWithSchema(connectDecimalBytes(unscaled), decimalSchema(scale))).toBe(expected);
  });

  it('round-trips any unscaled decimal', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }),
        fc.integer({ min: 0, max: 12 }),
        (unscaled, scale) => {
          const text = convertWithSchema(connectDecimalBytes(unscaled), decimalSchema(scale)) as string;
          expect(BigInt(text.replace('.', ''))).toBe(unscaled);
          expect(text.includes('.') ? text.split('.')[1]!.length : 0).toBe(scale);
        },
      ),
    );
  });

  it('decodes VariableScaleDecimal', () => {
    const schema = { type: 'struct', name: 'io.debezium.data.VariableScaleDecimal' };
    expect(convertWithSchema({ scale: 3, value: connectDecimalBytes(-12345n) }, schema)).toBe('-12.345');
  });

  it.each([
    ['io.debezium.time.Timestamp', 1732360000123, '2024-11-23T11:06:40.123'],
    ['org.apache.kafka.connect.data.Timestamp', 1732360000123, '2024-11-23T11:06:40.123'],
    ['io.debezium.time.MicroTimestamp', 1732360000123456, '2024-11-23T11:06:40.123'],
    ['io.debezium.time.MicroTimestamp', -1000001, '1969-12-31T23:59:58.999'],
    ['io.debezium.time.NanoTimestamp', 1732360000123456789n, '2024-11-23T11:06:40.123'],
    ['io.debezium.time.NanoTimestamp', '1732360000123456789', '2024-11-23T11:06:40.123'],
  ])('decodes %s (no time zone) as its wall clock, whatever the process TZ', (name, value, wall) => {
    expect(convertWithSchema(value, { type: 'int64', name })).toBe(wall);
  });

  it.each([['io.debezium.time.ZonedTimestamp', '2024-11-23T11:06:40.123456Z', '2024-11-23T11:06:40.123Z']])(
    'decodes %s as a Date',
    (name, value, iso) => {
      const converted = convertWithSchema(value, { type: 'int64', name });
      expect(converted).toBeInstanceOf(Date);
      expect((converted as Date).toISOString()).toBe(iso);
    },
  );

  it.each([
    ['io.debezium.time.Date', 20050, '2024-11-23'],
    ['org.apache.kafka.connect.data.Date', 0, '1970-01-01'],
    ['io.debezium.time.Time', 45_296_500, '12:34:56.5'],
    ['io.debezium.time.MicroTime', 45_296_000_001, '12:34:56.000001'],
    ['io.debezium.time.NanoTime', 45_296_000_000_000, '12:34:56'],
  ])('decodes %s as text', (name, value, text) => {
    expect(convertWithSchema(value, { type: 'int32', name })).toBe(text);
  });

  it('converts nested struct fields and leaves plain fields alone', () => {
    const schema = {
      type: 'struct',
      fields: [
        { type: 'int32', field: 'id' },
        { type: 'int32', name: 'io.debezium.time.Date', field: 'day', optional: true },
        { type: 'string', field: 'note', optional: true },
      ],
    };
    expect(convertWithSchema({ id: 7, day: 1, note: 'x' }, schema)).toEqual({
      id: 7,
      day: '1970-01-02',
      note: 'x',
    });
    expect(convertWithSchema({ id: 7, day: null, note: null }, schema)).toEqual({
      id: 7,
      day: null,
      note: null,
    });
  });
});

describe('convertWithSchema on values out of range', () => {
  it.each([
    ['a day count beyond a Date', { type: 'int32', name: 'io.debezium.time.Date' }, 1e12],
    ['a fractional time of day', { type: 'int64', name: 'io.debezium.time.MicroTime' }, 1.5],
  ])('keeps %s as written instead of throwing an uncoded RangeError', (_name, schema, value) => {
    // Act
    const converted = convertWithSchema(value, schema);
    // Assess
    expect(converted).toBe(value);
  });
});
