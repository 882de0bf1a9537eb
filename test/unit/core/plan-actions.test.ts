import fc from 'fast-check';
import { coalesceActions } from '../../../src/core/coalesce-actions';
import { planActions } from '../../../src/core/plan-actions';
import { defineKeyspace, entryKey } from '../../../src/keyspace';
import { jsonSerializer } from '../../../src/redis/serializer';
import { userChange } from './change-event-factory';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table: 'public.users' }] },
  profile: {
    key: 'profile:{id}',
    ttl: '10m',
    mode: 'refresh',
    fields: ['id', 'name'],
    sources: [{ table: 'public.users' }],
  },
  product: {
    key: 'product:{sku}',
    ttl: '30m',
    mode: 'refresh',
    sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }],
  },
});
const taggedKeyspace = defineKeyspace({
  user: {
    key: 'user:{id}',
    ttl: '5m',
    tags: ['tenant:{tenantId}'],
    sources: [{ table: 'public.users', fields: { tenantId: 'tenant_id' } }],
  },
});

describe('planActions', () => {
  it('tombstones keys from both images at the event version, so an email change drops the old user-by-email key', () => {
    // Prepare
    const event = userChange();
    // Act
    const [plan] = planActions([event], { keyspace: keyspace, prefix: 'p:' });
    // Assess
    expect(plan).toEqual({
      status: 'planned',
      incomplete: [],
      actions: expect.arrayContaining([
        { kind: 'tombstone', key: 'p:user:42', entity: 'user', version: '00000000000000000100' },
        {
          kind: 'tombstone',
          key: 'p:user-by-email:old@example.com',
          entity: 'userByEmail',
          version: '00000000000000000100',
        },
        {
          kind: 'tombstone',
          key: 'p:user-by-email:new@example.com',
          entity: 'userByEmail',
          version: '00000000000000000100',
        },
      ]),
    });
  });

  it('refreshes refresh-mode entities with the projected after image, serialized like the SDK', () => {
    // Prepare
    const event = userChange();
    // Act
    const [plan] = planActions([event], { keyspace: keyspace });
    // Assess
    const refresh =
      plan?.status === 'planned' ? plan.actions.find((action) => action.kind === 'refresh') : undefined;
    expect(refresh).toEqual({
      kind: 'refresh',
      key: 'profile:42',
      entity: 'profile',
      version: event.version,
      payload: jsonSerializer.serialize({ id: 42, name: 'Ada L.' }),
      tags: [],
    });
  });

  it('tombstones a refresh-mode key the row left, and the key of a deleted row, at the event version', () => {
    // Prepare
    const moved = userChange({
      before: { id: 41, name: 'x' },
      after: { id: 42, name: 'y' },
      version: '0200',
    });
    const deleted = userChange({ op: 'delete', after: null, version: '0300' });
    // Act
    const [movedPlan, deletedPlan] = planActions([moved, deleted], { keyspace: keyspace });
    // Assess
    expect(actionsOf(movedPlan)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'refresh', key: 'profile:42', version: '0200' }),
        { kind: 'tombstone', key: 'profile:41', entity: 'profile', version: '0200' },
      ]),
    );
    expect(actionsOf(deletedPlan)).toContainEqual({
      kind: 'tombstone',
      key: 'profile:42',
      entity: 'profile',
      version: '0300',
    });
    expect(actionsOf(deletedPlan).some((action) => action.kind === 'refresh')).toBe(false);
  });

  it('deletes instead of refreshing when the version is unknown: never an unguarded write', () => {
    // Prepare
    const event = userChange({ version: '' });
    // Act
    const [plan] = planActions([event], { keyspace: keyspace });
    // Assess
    expect(actionsOf(plan)).toContainEqual({ kind: 'delete', key: 'profile:42', entity: 'profile' });
    expect(actionsOf(plan).some((action) => action.kind === 'refresh' || action.kind === 'tombstone')).toBe(
      false,
    );
  });

  it('uses the key columns of a delete without a before image', () => {
    // Prepare
    const event = userChange({ op: 'delete', before: null, after: null, key: { id: 9 } });
    // Act
    const [plan] = planActions([event], { keyspace: keyspace });
    // Assess
    expect(actionsOf(plan)).toEqual(
      expect.arrayContaining([
        { kind: 'tombstone', key: 'user:9', entity: 'user', version: event.version },
        { kind: 'tombstone', key: 'profile:9', entity: 'profile', version: event.version },
      ]),
    );
    expect(plan).toMatchObject({ incomplete: ['userByEmail'] });
  });

  it('reports an image lacking a key column as incomplete, but not a column that is null', () => {
    // Prepare: a PostgreSQL delete with REPLICA IDENTITY DEFAULT carries only the primary key
    const partial = userChange({ op: 'delete', before: { id: 42 }, after: null });
    const nullEmail = userChange({ before: { id: 42, email: null }, after: { id: 42, email: 'a@b' } });
    // Act
    const [partialPlan, nullPlan] = planActions([partial, nullEmail], { keyspace });
    // Assess
    expect(partialPlan).toMatchObject({ status: 'planned', incomplete: ['userByEmail'] });
    expect(nullPlan).toMatchObject({ status: 'planned', incomplete: [] });
    expect(actionsOf(nullPlan)).toContainEqual({
      kind: 'tombstone',
      key: 'user-by-email:a@b',
      entity: 'userByEmail',
      version: '00000000000000000100',
    });
  });

  it('invalidates the tags rendered from both images', () => {
    // Prepare
    const event = userChange({
      before: { id: 42, tenant_id: 7 },
      after: { id: 42, tenant_id: 8 },
    });
    // Act
    const [plan] = planActions([event], { keyspace: taggedKeyspace, prefix: 'p:' });
    // Assess
    expect(actionsOf(plan)).toEqual([
      { kind: 'tombstone', key: 'p:user:42', entity: 'user', version: '00000000000000000100' },
      { kind: 'invalidate-tag', key: 'p:_cc:tag:tenant:7', tag: 'tenant:7' },
      { kind: 'invalidate-tag', key: 'p:_cc:tag:tenant:8', tag: 'tenant:8' },
    ]);
  });

  it('bumps the generation of every entity bound to a truncated table, without listing keys', () => {
    // Prepare
    const event = userChange({ op: 'truncate', before: null, after: null, key: null });
    // Act
    const [plan] = planActions([event], { keyspace: keyspace, prefix: 'p:' });
    // Assess
    expect(actionsOf(plan)).toEqual([
      { kind: 'bump-generation', key: 'p:_cc:gen:user', entity: 'user', version: event.version },
      {
        kind: 'bump-generation',
        key: 'p:_cc:gen:userByEmail',
        entity: 'userByEmail',
        version: event.version,
      },
      { kind: 'bump-generation', key: 'p:_cc:gen:profile', entity: 'profile', version: event.version },
    ]);
  });

  it('carries the truncate’s transaction id with each generation bump (the SDK checks fills against it)', () => {
    // Prepare
    const event = userChange({ op: 'truncate', before: null, after: null, key: null, transactionId: '748' });
    // Act
    const [plan] = planActions([event], { keyspace: keyspace, prefix: 'p:' });
    // Assess
    expect(
      actionsOf(plan).map((action) => ('transactionId' in action ? action.transactionId : null)),
    ).toEqual(['748', '748', '748']);
  });

  it('skips tables outside the keyspace and rows without key values, and keeps planning the others', () => {
    // Prepare
    const other = userChange({ table: 'public.orders' });
    const noKeys = userChange({ before: { name: 'a' }, after: { name: 'b' } });
    const fine = userChange();
    // Act
    const plans = planActions([other, noKeys, fine], { keyspace: keyspace });
    // Assess
    expect(plans[0]).toEqual({ status: 'skipped', reason: "table 'public.orders' is not in the keyspace" });
    expect(plans[1]).toMatchObject({ status: 'skipped' });
    expect(plans[2]).toMatchObject({ status: 'planned' });
  });

  it('deletes without a version a DynamoDB key built from a non-key attribute, and compares versions on the item key', () => {
    // Prepare: records of different items meet on user-by-email keys; only the item key orders versions
    const dynamo = defineKeyspace({
      user: { key: 'user:{id}', ttl: '5m', mode: 'refresh', sources: [{ dynamodb: 'Users' }] },
      userByEmail: {
        key: 'user-by-email:{email}',
        ttl: '5m',
        mode: 'refresh',
        sources: [{ dynamodb: 'Users' }],
      },
    });
    const event = userChange({
      source: 'dynamodb',
      table: 'Users',
      before: { id: 'B', email: 'x' },
      after: { id: 'B', email: 'y' },
      key: { id: 'B' },
      version: '9'.padStart(40, '0'),
    });
    // Act
    const [plan] = planActions([event], { keyspace: dynamo });
    // Assess
    expect(actionsOf(plan)).toEqual([
      expect.objectContaining({ kind: 'refresh', key: 'user:B', version: event.version }),
      { kind: 'delete', key: 'user-by-email:x', entity: 'userByEmail' },
      { kind: 'delete', key: 'user-by-email:y', entity: 'userByEmail' },
    ]);
  });

  it('lists a refreshed entry under the tags of its after image', () => {
    // Prepare
    const tagged = defineKeyspace({
      profile: {
        key: 'profile:{id}',
        ttl: '5m',
        mode: 'refresh',
        tags: ['tenant:{tenantId}'],
        sources: [{ table: 'public.users', fields: { tenantId: 'tenant_id' } }],
      },
    });
    const event = userChange({ before: { id: 42, tenant_id: 7 }, after: { id: 42, tenant_id: 8 } });
    // Act
    const [plan] = planActions([event], { keyspace: tagged, prefix: 'p:' });
    // Assess
    expect(actionsOf(plan)).toContainEqual(
      expect.objectContaining({ kind: 'refresh', key: 'p:profile:42', tags: ['p:_cc:tag:tenant:8'] }),
    );
  });

  it('binds DynamoDB events through the source field mapping, and never to a same-named relational table', () => {
    // Prepare
    const dynamo = userChange({
      source: 'dynamodb',
      table: 'Products',
      before: null,
      after: { pk: 'A:1', price: 3 },
      key: { pk: 'A:1' },
      version: '0000000000000000000000000000000000000000000001',
    });
    const relational = userChange({ source: 'mysql', table: 'Products' });
    // Act
    const [dynamoPlan, relationalPlan] = planActions([dynamo, relational], { keyspace });
    // Assess
    expect(actionsOf(dynamoPlan)).toEqual([
      expect.objectContaining({ kind: 'refresh', key: 'product:A%3A1' }),
    ]);
    expect(relationalPlan).toMatchObject({ status: 'skipped' });
  });

  it('fails only the event whose key column holds a value no key can contain', () => {
    // Prepare
    const bad = userChange({ after: { id: { nested: true }, email: 'a@b' } });
    const good = userChange();
    // Act
    const [badPlan, goodPlan] = planActions([bad, good], { keyspace: keyspace });
    // Assess
    expect(badPlan).toMatchObject({ status: 'failed', error: { code: 'CDC_PLAN_FAILED' } });
    expect(badPlan?.status === 'failed' && badPlan.error.message).toContain("column 'id'");
    expect(goodPlan).toMatchObject({ status: 'planned' });
  });
});

describe('planActions keys match the SDK', () => {
  const composite = defineKeyspace({
    order: {
      key: 'order:{tenant}/{id}#{at}',
      ttl: '1m',
      sources: [
        { table: 'public.orders', fields: { at: 'created_at' }, columns: { created_at: 'timestamptz' } },
      ],
    },
  });
  const keyValue = fc.oneof(
    fc.string({ unit: 'binary', minLength: 1 }),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.bigInt(),
    fc.boolean(),
    fc.date({ noInvalidDate: true }),
  );

  it('renders byte-identical keys to entryKey for any key values', () => {
    fc.assert(
      fc.property(
        keyValue,
        keyValue,
        fc.date({ noInvalidDate: true }),
        fc.constantFrom('', 'shop:'),
        (tenant, id, at, prefix) => {
          // Prepare
          // A Date is a timestamptz value: only `at` declares that type.
          fc.pre(!(tenant instanceof Date) && !(id instanceof Date));
          const row = { tenant, id, created_at: at };
          // Act
          const [plan] = planActions(
            [userChange({ table: 'public.orders', before: row, after: null, op: 'delete', version: '' })],
            { keyspace: composite, prefix },
          );
          // Assess
          expect(actionsOf(plan)).toEqual([
            {
              kind: 'delete',
              key: entryKey(composite, 'order', { tenant, id, at }, prefix),
              entity: 'order',
            },
          ]);
        },
      ),
    );
  });

  it('renders the after image of an update by its own values, whether or not they equal the before image', () => {
    fc.assert(
      fc.property(
        fc.tuple(keyValue, keyValue, fc.date({ noInvalidDate: true })),
        fc.array(fc.constantFrom('same', 'equal copy', 'zero', 'text', 'other'), {
          minLength: 3,
          maxLength: 3,
        }),
        fc.tuple(keyValue, keyValue, fc.date({ noInvalidDate: true })),
        (values, changes, others) => {
          // Prepare: each column of the after image keeps the value, holds an equal one of another identity
          // or type (0 for -0, the text of a number), or another value
          fc.pre(!(values[0] instanceof Date) && !(values[1] instanceof Date));
          fc.pre(!(others[0] instanceof Date) && !(others[1] instanceof Date));
          const after = values.map((value, at) => {
            switch (changes[at]) {
              case 'same':
                return value;
              case 'equal copy':
                return value instanceof Date ? new Date(value.getTime()) : value;
              case 'zero':
                return Object.is(value, -0) ? 0 : value;
              case 'text':
                return typeof value === 'number' && at < 2 ? String(value) : value;
              default:
                return others[at];
            }
          });
          const [tenant, id, at] = values;
          const [afterTenant, afterId, afterAt] = after;
          // Act
          const [plan] = planActions(
            [
              userChange({
                table: 'public.orders',
                before: { tenant, id, created_at: at },
                after: { tenant: afterTenant, id: afterId, created_at: afterAt },
              }),
            ],
            { keyspace: composite },
          );
          // Assess
          const keys = new Set([
            entryKey(composite, 'order', { tenant, id, at }),
            entryKey(composite, 'order', { tenant: afterTenant, id: afterId, at: afterAt }),
          ]);
          expect(actionsOf(plan).map((action) => action.key)).toEqual([...keys]);
        },
      ),
    );
  });
});

describe('coalesceActions', () => {
  it('keeps one action per key: delete beats refresh, the highest version wins, a tombstone wins a tie', () => {
    // Prepare
    const plans = planActions(
      [
        userChange({ version: '0200' }),
        userChange({ version: '0100' }), // reordered older duplicate
        userChange({ version: '0300', op: 'delete', after: null }),
        userChange({ version: '' }), // unknown version: delete
        userChange({ before: null, after: { id: 5, name: 'n' }, version: '0400' }),
        userChange({ before: { id: 5 }, after: null, op: 'delete', version: '0400' }),
        userChange({ op: 'truncate', before: null, after: null }),
        userChange({ op: 'truncate', before: null, after: null }),
      ],
      { keyspace: keyspace },
    );
    // Act
    const { actions, indexOf } = coalesceActions(plans);
    // Assess
    const byKey = new Map(actions.map((action) => [action.key, action]));
    expect(byKey.get('profile:42')).toEqual({ kind: 'delete', key: 'profile:42', entity: 'profile' });
    expect(byKey.get('profile:5')).toEqual({
      kind: 'tombstone',
      key: 'profile:5',
      entity: 'profile',
      version: '0400',
    });
    expect(actions.filter((action) => action.key === '_cc:gen:user')).toHaveLength(1);
    expect(new Set(actions.map((action) => action.key)).size).toBe(actions.length);
    expect(actions[indexOf.get('profile:42')!]).toBe(byKey.get('profile:42'));
  });

  it('maps every key to the index of its one action, wherever its repeats fall in the batch (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 9 })), { maxLength: 30 }),
        fc.boolean(),
        (changes, askFirst) => {
          // Prepare: updates of a few rows, whose keys repeat across events
          const plans = planActions(
            changes.map(([id, version]) =>
              userChange({
                before: { id, email: `${id}@x` },
                after: { id, email: `${id + 1}@x` },
                version: String(version).padStart(4, '0'),
              }),
            ),
            { keyspace: keyspace },
          );
          // Act
          const coalesced = coalesceActions(plans);
          const indexOf = askFirst ? coalesced.indexOf : undefined;
          const { actions } = coalesced;
          // Assess
          const keys = new Set(plans.flatMap((plan) => actionsOf(plan).map((action) => action.key)));
          expect(actions.map((action) => action.key).sort()).toEqual([...keys].sort());
          expect([...(indexOf ?? coalesced.indexOf)]).toEqual(actions.map((action, at) => [action.key, at]));
        },
      ),
    );
  });

  it('keeps the newest refresh of a key among reordered duplicates', () => {
    // Prepare
    const plans = planActions(
      ['0300', '0100', '0300', '0200'].map((version) =>
        userChange({ version, after: { id: 42, name: `v${version}` } }),
      ),
      { keyspace: keyspace },
    );
    // Act
    const { actions } = coalesceActions(plans);
    // Assess
    expect(actions.find((action) => action.key === 'profile:42')).toMatchObject({
      kind: 'refresh',
      version: '0300',
      payload: jsonSerializer.serialize({ id: 42, name: 'v0300' }),
    });
  });

  it('carries the newest transaction id of the changes it merges, not the one of the highest version', () => {
    // Prepare: two rows meet on user-by-email:x; the lower LSN belongs to the newer transaction (in circular order)
    const plans = planActions(
      [
        userChange({
          version: '0300',
          transactionId: '4294967295',
          after: { id: 1, email: 'x' },
          before: null,
        }),
        userChange({ version: '0200', transactionId: '5', after: { id: 2, email: 'x' }, before: null }),
      ],
      { keyspace: keyspace },
    );
    // Act
    const { actions } = coalesceActions(plans);
    // Assess
    expect(actions.find((action) => action.key === 'user-by-email:x')).toEqual({
      kind: 'tombstone',
      key: 'user-by-email:x',
      entity: 'userByEmail',
      version: '0300',
      transactionId: '5',
    });
    expect(actions.find((action) => action.key === 'user:1')).toMatchObject({ transactionId: '4294967295' });
  });

  it('bumps a generation once for two truncates, keeping the newest version and the newest transaction', () => {
    // Prepare: the lower LSN belongs to the newer transaction (in circular order)
    const truncate = { op: 'truncate', before: null, after: null, key: null } as const;
    const plans = planActions(
      [
        userChange({ ...truncate, version: '0300', transactionId: '4294967295' }),
        userChange({ ...truncate, version: '0200', transactionId: '5' }),
      ],
      { keyspace: keyspace },
    );
    // Act
    const { actions } = coalesceActions(plans);
    // Assess
    expect(actions.find((action) => action.key === '_cc:gen:user')).toEqual({
      kind: 'bump-generation',
      key: '_cc:gen:user',
      entity: 'user',
      version: '0300',
      transactionId: '5',
    });
  });
});

function actionsOf(plan: ReturnType<typeof planActions>[number] | undefined) {
  if (plan?.status !== 'planned') throw new Error(`expected a planned event, got ${JSON.stringify(plan)}`);
  return plan.actions;
}
