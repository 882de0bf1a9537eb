import { freezePlainValue } from '../../../../src/sdk/near-cache/freeze-plain-value';

describe('freezePlainValue', () => {
  it('deep-freezes plain data, so a mutation throws in strict mode and changes nothing', () => {
    // Prepare
    const value = { id: 1, roles: ['admin'], address: { city: 'London' } };
    // Act
    const frozen = freezePlainValue(value);
    // Assess
    expect(frozen).toBe(true);
    expect(() => {
      value.roles.push('root');
    }).toThrow(TypeError);
    expect(() => {
      value.address.city = 'Paris';
    }).toThrow(TypeError);
    expect(value).toEqual({ id: 1, roles: ['admin'], address: { city: 'London' } });
  });

  it('freezes nothing when something inside cannot be protected by freezing', () => {
    // Prepare
    const withDate = { id: 1, at: new Date(0), tags: ['a'] };
    class Row {
      id = 1;
    }
    // Act
    const results = [freezePlainValue(withDate), freezePlainValue([new Map()]), freezePlainValue(new Row())];
    // Assess
    expect(results).toEqual([false, false, false]);
    expect(Object.isFrozen(withDate)).toBe(false);
    expect(Object.isFrozen(withDate.tags)).toBe(false);
  });

  it('accepts primitives, null and bigint', () => {
    expect([
      freezePlainValue(null),
      freezePlainValue(1),
      freezePlainValue('a'),
      freezePlainValue(1n),
    ]).toEqual([true, true, true, true]);
  });
});
