import { CdcCacheError } from '../../../src/errors';
import { defineKeyspace, getEntity, indexBindings } from '../../../src/keyspace';

const userDefinition = () => ({ key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] });

function problemsOf(definitions: unknown, options?: { prefix?: string }): string[] {
  try {
    defineKeyspace(definitions as never, options);
  } catch (error) {
    expect(error).toBeInstanceOf(CdcCacheError);
    expect((error as CdcCacheError).code).toBe('CDC_INVALID_KEYSPACE');
    return (error as CdcCacheError).details['problems'] as string[];
  }
  throw new Error('expected the keyspace to be rejected');
}

describe('defineKeyspace', () => {
  it('validates and normalizes a good keyspace', () => {
    // Act
    const keyspace = defineKeyspace(
      {
        user: { ...userDefinition(), grace: '30s', tags: ['tenant:{tenantId}'] },
        product: {
          key: 'product:{sku}',
          ttl: 1800000,
          mode: 'refresh',
          fields: ['sku', 'price'],
          sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }],
        },
      },
      { prefix: 'shop:' },
    );
    // Assess
    const user = getEntity(keyspace, 'user');
    expect(keyspace.prefix).toBe('shop:');
    expect(user).toMatchObject({
      ttlMs: 300000,
      graceMs: 30000,
      negativeTtlMs: 30000,
      ttlJitter: 0.1,
      mode: 'delete',
    });
    expect(user.sources[0]!.fields).toEqual({ id: 'id', tenantId: 'tenantId' });
    expect(getEntity(keyspace, 'product').sources[0]).toEqual({
      kind: 'dynamodb',
      table: 'Products',
      fields: { sku: 'pk' },
      columns: {},
    });
  });

  it.each([
    ['a missing key', { user: { ttl: '5m', sources: [{ table: 'public.users' }] } }, 'user.key: required'],
    [
      'a placeholder inside a segment',
      { user: { ...userDefinition(), key: 'user-{id}' } },
      "user.key: 'user-{id}' placeholder {id} must fill a whole segment",
    ],
    [
      'an unclosed brace',
      { user: { ...userDefinition(), key: 'user:{id' } },
      "user.key: 'user:{id' has an unclosed '{'",
    ],
    [
      'a duplicated placeholder',
      { user: { ...userDefinition(), key: 'u:{id}:{id}' } },
      'uses placeholder {id} twice',
    ],
    [
      'a reserved key',
      { user: { ...userDefinition(), key: '_cc:{id}' } },
      "user.key: keys starting with '_cc:'",
    ],
    ['a bad ttl', { user: { ...userDefinition(), ttl: 'soon' } }, 'user.ttl: "soon" is not a duration'],
    ['a zero ttl', { user: { ...userDefinition(), ttl: 0 } }, 'user.ttl: must be longer than zero'],
    [
      'a negative grace',
      { user: { ...userDefinition(), grace: -1 } },
      'user.grace: -1 is not a non-negative',
    ],
    [
      'a jitter above 1',
      { user: { ...userDefinition(), ttlJitter: 2 } },
      'user.ttlJitter: must be a number from 0 to 1',
    ],
    [
      'an unknown mode',
      { user: { ...userDefinition(), mode: 'update' } },
      "user.mode: must be 'delete' or 'refresh'",
    ],
    [
      'fields outside refresh mode',
      { user: { ...userDefinition(), fields: ['id'] } },
      "user.fields: only applies to mode 'refresh'",
    ],
    ['an unknown field', { user: { ...userDefinition(), tll: '5m' } }, 'user.tll: unknown field'],
    ['no sources', { user: { ...userDefinition(), sources: [] } }, 'user.sources: required'],
    [
      'a table without schema',
      { user: { ...userDefinition(), sources: [{ table: 'users' }] } },
      "user.sources[0].table: 'users' must be",
    ],
    [
      'both table and dynamodb',
      { user: { ...userDefinition(), sources: [{ table: 'a.b', dynamodb: 'Users' }] } },
      'user.sources[0]: needs exactly one of',
    ],
    [
      'a mapping of an unknown placeholder',
      { user: { ...userDefinition(), sources: [{ table: 'a.b', fields: { uid: 'id' } }] } },
      'user.sources[0].fields.uid: no such placeholder',
    ],
    ['a bad tag', { user: { ...userDefinition(), tags: ['tenant-{t}'] } }, 'user.tags[0]:'],
    ['a bad entity name', { 'us er': userDefinition() }, 'us er: entity names use letters'],
    [
      'colliding templates',
      { user: userDefinition(), other: { ...userDefinition(), key: '{kind}:{id}' } },
      "other.key: '{kind}:{id}' can render the same key as user.key",
    ],
    ['no entity', {}, 'keyspace: must be an object with at least one entity'],
  ])('rejects %s, naming the field', (_case, definitions, message) => {
    // Act
    const problems = problemsOf(definitions);
    // Assess
    expect(problems.join('\n')).toContain(message);
  });

  it('rejects a prefix with braces (a Redis Cluster hash tag would pin every key to one slot)', () => {
    expect(problemsOf({ user: userDefinition() }, { prefix: '{shop}:' })).toEqual([
      'prefix: must be a string without braces',
    ]);
  });

  it.each([
    [
      'two tables',
      [{ table: 'public.users' }, { table: 'public.accounts' }],
      'table public.users, table public.accounts',
    ],
    [
      'mixed source kinds',
      [{ table: 'public.users' }, { dynamodb: 'Users' }],
      'table public.users, dynamodb Users',
    ],
  ])(
    'rejects a refresh entity with %s, whose versions share no order, naming the entity and the fix',
    (_case, sources, named) => {
      // Act
      const problems = problemsOf({ profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources } });
      // Assess
      expect(problems).toEqual([expect.stringContaining('profile.sources')]);
      expect(problems[0]).toContain(named);
      expect(problems[0]).toContain("use mode 'delete', or one refresh entity per table");
    },
  );

  it('accepts a delete entity with several tables, and reads maxReplicaLag as a duration', () => {
    // Act
    const keyspace = defineKeyspace({
      user: {
        ...userDefinition(),
        maxReplicaLag: '500ms',
        sources: [{ table: 'public.users' }, { dynamodb: 'Users' }],
      },
    });
    // Assess
    expect(getEntity(keyspace, 'user')).toMatchObject({ maxReplicaLagMs: 500, mode: 'delete' });
    expect(problemsOf({ user: { ...userDefinition(), maxReplicaLag: 'soon' } })).toEqual([
      expect.stringContaining('user.maxReplicaLag'),
    ]);
  });

  it('reports every problem at once', () => {
    // Act
    const problems = problemsOf({ user: { key: 'u:{id}', ttl: 'x', mode: 'm', sources: [] } });
    // Assess
    expect(problems).toHaveLength(3);
  });

  it('indexes bindings by source and maps rows to params', () => {
    // Prepare
    const keyspace = defineKeyspace({
      user: userDefinition(),
      userByEmail: {
        key: 'user-by-email:{email}',
        ttl: '5m',
        sources: [{ table: 'public.users', fields: { email: 'mail' } }],
      },
    });
    // Act
    const bindings = indexBindings(keyspace).get('table:public.users') ?? [];
    // Assess
    expect(bindings.map((binding) => binding.entity.name)).toEqual(['user', 'userByEmail']);
    expect(bindings[1]!.source.fields).toEqual({ email: 'mail' });
  });
});
