import { defineKeyspace } from '../../../../src/keyspace';
import { trackedPrefixes } from '../../../../src/sdk/near-cache/tracked-prefixes';

describe('trackedPrefixes', () => {
  it("covers each entity's keys and generation key, without overlapping prefixes", () => {
    // Prepare
    const keyspace = defineKeyspace({
      user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
      userByEmail: { key: 'user:email:{email}', ttl: '5m', sources: [{ table: 'public.users' }] },
      order: { key: 'order/{id}', ttl: '5m', sources: [{ table: 'public.orders' }] },
    });
    // Act
    const prefixes = trackedPrefixes('shop:', [...keyspace.entities.values()]);
    // Assess
    expect(prefixes).toEqual(['shop:_cc:gen:order', 'shop:_cc:gen:user', 'shop:order/', 'shop:user:']);
  });

  it('tracks the whole prefix when a template starts with a placeholder', () => {
    // Prepare
    const keyspace = defineKeyspace({ any: { key: '{id}', ttl: '5m', sources: [{ table: 'public.t' }] } });
    // Act
    const prefixes = trackedPrefixes('p:', [...keyspace.entities.values()]);
    // Assess
    expect(prefixes).toEqual(['p:']);
  });
});
