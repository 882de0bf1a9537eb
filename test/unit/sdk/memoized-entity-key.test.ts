import fc from 'fast-check';
import { defineKeyspace, entityKey } from '../../../src/keyspace';
import { memoizedEntityKey } from '../../../src/sdk/memoized-entity-key';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  byDay: {
    key: 'day/{day}',
    ttl: '5m',
    sources: [{ table: 'public.days', columns: { day: 'date' } }],
  },
  tenantUser: { key: '{tenant}:user/{id}', ttl: '5m', sources: [{ table: 'public.members' }] },
});
const spec = (name: string) => keyspace.entities.get(name)!;

const anyValue = fc.oneof(
  fc.integer({ min: -5, max: 5 }),
  fc.maxSafeInteger(),
  fc.double(),
  fc.constant(-0),
  fc.string(),
  fc.constant(null),
);

describe('memoizedEntityKey', () => {
  it.each(['user', 'byDay', 'tenantUser'])(
    'gives what entityKey gives for %s, on first and repeated reads, or throws what it throws (property)',
    (name) => {
      const keyOf = memoizedEntityKey(spec(name), 'shop:', 8);
      const outcome = (read: () => string) => {
        try {
          return read();
        } catch (error) {
          return (error as { code?: string }).code;
        }
      };
      fc.assert(
        fc.property(anyValue, anyValue, (id, tenant) => {
          const params = { id, day: id, tenant };
          const expected = outcome(() => entityKey(spec(name), params, 'shop:'));
          expect(outcome(() => keyOf(params))).toBe(expected);
          expect(outcome(() => keyOf({ ...params }))).toBe(expected);
        }),
      );
    },
  );

  it('stays right past its bound', () => {
    const keyOf = memoizedEntityKey(spec('user'), '', 16);
    for (let id = 1; id <= 40; id++) expect(keyOf({ id })).toBe(`user:${id}`);
    expect(keyOf({ id: 1 })).toBe('user:1');
  });
});
