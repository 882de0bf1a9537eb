import fc from 'fast-check';
import { jsonSerializer } from '../../../src/redis/serializer';

// JSON values plus Dates and BigInts, including objects that look like the serializer's own tags.
const { value } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.string(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }).filter((number) => !Object.is(number, -0)),
    fc.boolean(),
    fc.constant(null),
    fc.bigInt(),
    fc.date({ noInvalidDate: true }),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(
      fc.oneof(fc.string(), fc.constantFrom('$cc:date', '$cc:bigint', '$cc:object', '__proto__')),
      tie('value'),
      {
        maxKeys: 4,
      },
    ),
  ),
}));

describe('jsonSerializer', () => {
  it('round-trips JSON values with Date and BigInt, even objects shaped like its tags (property)', () => {
    fc.assert(
      fc.property(value, (input) => {
        expect(jsonSerializer.deserialize(jsonSerializer.serialize(input))).toEqual(input);
      }),
      { numRuns: 500 },
    );
  });

  it('writes plain JSON (parsed without a reviver) when there is no Date or BigInt', () => {
    // Act
    const payload = jsonSerializer.serialize({ id: 1, name: 'Ada' });
    // Assess
    expect(payload).toBe('j{"id":1,"name":"Ada"}');
  });

  it('keeps a Date and a BigInt', () => {
    // Prepare
    const input = { at: new Date('2026-01-02T03:04:05.006Z'), big: 2n ** 70n };
    // Act
    const output = jsonSerializer.deserialize(jsonSerializer.serialize(input)) as typeof input;
    // Assess
    expect(output.at).toBeInstanceOf(Date);
    expect(output.at.toISOString()).toBe('2026-01-02T03:04:05.006Z');
    expect(output.big).toBe(2n ** 70n);
  });

  it('rejects a payload without its format marker with CDC_SERIALIZATION_FAILED', () => {
    expect(() => jsonSerializer.deserialize('{"id":1}')).toThrow(
      expect.objectContaining({ code: 'CDC_SERIALIZATION_FAILED' }),
    );
  });

  it('reports an unserializable value with CDC_SERIALIZATION_FAILED', () => {
    // Prepare
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    // Act
    const serialize = () => jsonSerializer.serialize(cyclic);
    // Assess
    expect(serialize).toThrow(expect.objectContaining({ code: 'CDC_SERIALIZATION_FAILED' }));
  });
});
