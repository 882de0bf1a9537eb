import { defineKeyspace, getEntity } from '../../../src/keyspace';
import { fillRefusal, NO_FLOOR, readPositionPoint } from '../../../src/sdk/read-position-check';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  lagging: { key: 'lagging:{id}', ttl: '5m', maxReplicaLag: '2s', sources: [{ table: 'public.users' }] },
});
const user = getEntity(keyspace, 'user');
const lagging = getEntity(keyspace, 'lagging');
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
