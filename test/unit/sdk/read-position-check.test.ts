import { defineKeyspace, getEntity } from '../../../src/keyspace';
import {
  fillRefusal,
  NO_FLOOR,
  readPositionPoint,
  withGenerationMemory,
} from '../../../src/sdk/read-position-check';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  lagging: { key: 'lagging:{id}', ttl: '5m', maxReplicaLag: '2s', sources: [{ table: 'public.users' }] },
  product: { key: 'product:{sku}', ttl: '5m', sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }] },
});
const user = getEntity(keyspace, 'user');
const lagging = getEntity(keyspace, 'lagging');
const product = getEntity(keyspace, 'product');
const snapshot = (text: string) => readPositionPoint(user, { snapshot: text });
const lease = (floor: string, since: number, transactionId = '') => ({ floor, since, transactionId });

describe('fillRefusal', () => {
  it('refuses a read older than the floor the key had reached, and accepts one at or past it', () => {
    // Prepare
    const floor = readPositionPoint(user, '0/16B3748').version;
    const leased = lease(floor, 10);
    // Act
    const older = fillRefusal(user, leased, readPositionPoint(user, '0/16B3700'));
    const same = fillRefusal(user, leased, { version: floor });
    const newer = fillRefusal(user, leased, readPositionPoint(user, '0/16B3800'));
    // Assess
    expect([older, same, newer]).toEqual(['behind', undefined, undefined]);
  });

  it('without a position, refuses only within maxReplicaLag after the worker applied a change', () => {
    // Prepare
    const justChanged = lease('', 1999);
    const longAgo = lease('', 2000);
    // Act
    const outcomes = [
      fillRefusal(lagging, justChanged, undefined),
      fillRefusal(lagging, longAgo, undefined),
      fillRefusal(lagging, NO_FLOOR, undefined),
      fillRefusal(user, justChanged, undefined),
      fillRefusal(user, lease('', 5, '733'), undefined),
    ];
    // Assess
    expect(outcomes).toEqual(['replica-lag', undefined, undefined, undefined, undefined]);
  });

  it('caches a snapshot fill once every transaction up to the key’s newest had finished there', () => {
    expect(fillRefusal(user, lease('00000000000000000100', 5, '733'), snapshot('734:736:'))).toBeUndefined();
  });

  it('refuses a snapshot in which the key’s newest transaction may still run (a standby mid-transaction)', () => {
    // The standby replayed the change (its replay LSN is past the change's) but not the commit.
    expect(fillRefusal(user, lease('00000000000000000100', 5, '733'), snapshot('733:734:'))).toBe(
      'invisible',
    );
    expect(fillRefusal(user, lease('00000000000000000100', 5, '733'), snapshot('730:731:'))).toBe(
      'invisible',
    );
  });

  it('refuses an LSN-only position against a key whose changes carry a transaction id', () => {
    // Past the change's LSN, which says nothing about its commit.
    const position = readPositionPoint(user, '0/FFFF');
    expect(fillRefusal(user, lease('00000000000000000100', 5, '733'), position)).toBe('invisible');
  });

  it('refuses a snapshot against a remembered change that carried no transaction id', () => {
    expect(fillRefusal(user, lease('00000000000000000100', 5), snapshot('734:736:'))).toBe('invisible');
  });

  it('caches a snapshot fill of a key that remembers nothing', () => {
    expect(fillRefusal(user, NO_FLOOR, snapshot('734:736:'))).toBeUndefined();
  });
});

describe('withGenerationMemory (the entity’s last truncate merged into a lease)', () => {
  const NOW = 1_700_000_000_000;
  const truncated = (version: string, agoMs: number, xid?: string) =>
    xid === undefined ? `${version}|${NOW - agoMs}` : `${version}|${NOW - agoMs}|${xid}`;

  it('refuses a snapshot fill of a key that remembers nothing when the truncate had not finished there', () => {
    // Prepare: the key was never changed; its entity was truncated by transaction 740
    const merged = withGenerationMemory(user, NO_FLOOR, truncated('00000000000000000500', 30, '740'), NOW);
    // Act
    const frozen = fillRefusal(user, merged, snapshot('735:736:'));
    const caughtUp = fillRefusal(user, merged, snapshot('741:741:'));
    // Assess
    expect(merged).toEqual({ floor: '00000000000000000500', since: 30, transactionId: '740' });
    expect([frozen, caughtUp]).toEqual(['invisible', undefined]);
  });

  it('keeps the newer of the key’s own change and the truncate: floor, time and transaction', () => {
    // Prepare
    const keyChanged = lease('00000000000000000600', 500, '4294967295');
    // Act
    const merged = withGenerationMemory(user, keyChanged, truncated('00000000000000000500', 20, '3'), NOW);
    // Assess: xid 3 came after the wraparound, so it is the newer one
    expect(merged).toEqual({ floor: '00000000000000000600', since: 20, transactionId: '3' });
  });

  it('holds fills without a position off within maxReplicaLag after a truncate', () => {
    // Act
    const outcomes = [
      fillRefusal(lagging, withGenerationMemory(lagging, NO_FLOOR, truncated('', 1_999), NOW), undefined),
      fillRefusal(lagging, withGenerationMemory(lagging, NO_FLOOR, truncated('', 2_000), NOW), undefined),
    ];
    // Assess
    expect(outcomes).toEqual(['replica-lag', undefined]);
  });

  it('refuses a binlog or LSN position older than the truncate (behind), not one past it', () => {
    // Prepare
    const version = readPositionPoint(lagging, '0/16B3748').version;
    const merged = withGenerationMemory(user, NO_FLOOR, truncated(version, 10_000), NOW);
    // Act
    const outcomes = [
      fillRefusal(user, merged, readPositionPoint(user, '0/16B3700')),
      fillRefusal(user, merged, readPositionPoint(user, '0/16B3800')),
    ];
    // Assess
    expect(outcomes).toEqual(['behind', undefined]);
  });

  it('reads memories from before transaction ids, ignores what it cannot parse, and never ranks a DynamoDB item’s versions by a truncate', () => {
    // Act
    const old = withGenerationMemory(user, NO_FLOOR, '00000000000000000500|1699999999000', NOW);
    const garbage = withGenerationMemory(user, NO_FLOOR, 'not a memory', NOW);
    const missing = withGenerationMemory(user, NO_FLOOR, null, NOW);
    const dynamodb = withGenerationMemory(
      product,
      NO_FLOOR,
      truncated('0000000000000000000000000000000000000900', 5),
      NOW,
    );
    const noClock = withGenerationMemory(user, NO_FLOOR, truncated('', 5_000), Number.NaN);
    // Assess
    expect(old).toEqual({ floor: '00000000000000000500', since: 1_000, transactionId: '' });
    expect([garbage, missing]).toEqual([NO_FLOOR, NO_FLOOR]);
    expect(dynamodb).toEqual({ floor: '', since: 5, transactionId: '' });
    expect(noClock.since).toBe(0);
  });
});
