import { defineKeyspace, getEntity } from '../../../src/keyspace';
import { fillRefusal, NO_FLOOR, positionVersion } from '../../../src/sdk/read-position-check';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  lagging: { key: 'lagging:{id}', ttl: '5m', maxReplicaLag: '2s', sources: [{ table: 'public.users' }] },
});
const user = getEntity(keyspace, 'user');
const lagging = getEntity(keyspace, 'lagging');

describe('fillRefusal', () => {
  it('refuses a read older than the floor the key had reached, and accepts one at or past it', () => {
    // Prepare
    const floor = positionVersion(user, '0/16B3748');
    const lease = { floor, since: 10 };
    // Act
    const older = fillRefusal(user, lease, positionVersion(user, '0/16B3700'));
    const same = fillRefusal(user, lease, floor);
    const newer = fillRefusal(user, lease, positionVersion(user, '0/16B3800'));
    // Assess
    expect([older, same, newer]).toEqual(['behind', undefined, undefined]);
  });

  it('without a position, refuses only within maxReplicaLag after the worker applied a change', () => {
    // Prepare
    const justChanged = { floor: '', since: 1999 };
    const longAgo = { floor: '', since: 2000 };
    // Act
    const outcomes = [
      fillRefusal(lagging, justChanged, undefined),
      fillRefusal(lagging, longAgo, undefined),
      fillRefusal(lagging, NO_FLOOR, undefined),
      fillRefusal(user, justChanged, undefined),
    ];
    // Assess
    expect(outcomes).toEqual(['replica-lag', undefined, undefined, undefined]);
  });
});
