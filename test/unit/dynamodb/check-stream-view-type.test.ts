import { defineKeyspace } from '../../../src/keyspace';
import { checkStreamViewType } from '../../../src/sources/dynamodb';

const keyspace = defineKeyspace({
  product: {
    key: 'product:{sku}',
    ttl: '5m',
    mode: 'refresh',
    sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }],
  },
  order: { key: 'order:{id}', ttl: '5m', sources: [{ dynamodb: 'Orders' }] },
  ordersByCustomer: { key: 'orders-by-customer:{customer}', ttl: '5m', sources: [{ dynamodb: 'Orders' }] },
});

describe('checkStreamViewType', () => {
  it('accepts KEYS_ONLY when every placeholder of a delete-mode entity is a key attribute', () => {
    const only = defineKeyspace({
      order: { key: 'order:{id}', ttl: '5m', sources: [{ dynamodb: 'Orders' }] },
    });
    expect(checkStreamViewType(only, 'Orders', 'KEYS_ONLY', ['id'])).toEqual(['order']);
  });

  it.each(['KEYS_ONLY', 'OLD_IMAGE'])(
    'refuses %s for a refresh-mode entity, naming it and the fix',
    (viewType) => {
      expect(() => checkStreamViewType(keyspace, 'Products', viewType, ['pk'])).toThrow(
        /'product' is in refresh mode.*NEW_AND_OLD_IMAGES/,
      );
    },
  );

  it.each(['NEW_IMAGE', 'NEW_AND_OLD_IMAGES'])(
    'accepts %s for a refresh-mode entity keyed by the key',
    (viewType) => {
      expect(checkStreamViewType(keyspace, 'Products', viewType, ['pk'])).toEqual(['product']);
    },
  );

  it('needs both images when a key is built from a non-key attribute', () => {
    expect(() => checkStreamViewType(keyspace, 'Orders', 'NEW_IMAGE', ['id'])).toThrow(
      expect.objectContaining({
        code: 'CDC_CONFIG_INVALID',
        message: expect.stringMatching(/ordersByCustomer.*customer/),
      }),
    );
    expect(checkStreamViewType(keyspace, 'Orders', 'NEW_AND_OLD_IMAGES', ['id'])).toEqual([
      'order',
      'ordersByCustomer',
    ]);
  });

  it('reports a table without a stream, and ignores tables outside the keyspace', () => {
    expect(() => checkStreamViewType(keyspace, 'Products', undefined, ['pk'])).toThrow(/has no stream/);
    expect(checkStreamViewType(keyspace, 'Elsewhere', undefined, [])).toEqual([]);
  });
});
