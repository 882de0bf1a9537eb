import type { InvalidationListener } from '../../../../src/sdk/near-cache/invalidation-stream';
import type { NodeTracker, NodeTrackerEvents } from '../../../../src/sdk/near-cache/track-node-connection';
import { createTrackerSet } from '../../../../src/sdk/near-cache/tracker-set';

/** A tracker the test brings up and down by hand: no network. */
function fakeTracker(events: NodeTrackerEvents) {
  let up = false;
  let closed = false;
  const tracker: NodeTracker = {
    get up() {
      return up;
    },
    clientId: 1,
    sync: async () => undefined,
    close: () => {
      closed = true;
    },
  };
  return {
    tracker,
    up: () => {
      up = true;
      events.up();
    },
    down: (reason: string) => {
      up = false;
      events.down(reason);
    },
    keys: (keys: string[] | null) => events.keys(keys),
    closed: () => closed,
  };
}

function recorder() {
  const seen: string[] = [];
  const listener: InvalidationListener = {
    invalidated: (keys) => seen.push(`keys ${JSON.stringify(keys)}`),
    up: () => seen.push('up'),
    down: (reason) => seen.push(`down ${reason}`),
    error: () => undefined,
  };
  return { seen, listener };
}

describe('createTrackerSet', () => {
  it('is up only once every node is, and down as soon as one drops', () => {
    // Prepare
    const { seen, listener } = recorder();
    const set = createTrackerSet();
    set.listen(listener);
    const nodes = new Map<string, ReturnType<typeof fakeTracker>>();
    set.reconcile(['a', 'b'], (key, events) => {
      const fake = fakeTracker(events);
      nodes.set(key, fake);
      return fake.tracker;
    });
    // Act
    nodes.get('a')!.up();
    const afterOne = [...seen];
    nodes.get('b')!.up();
    nodes.get('b')!.keys(['k']);
    nodes.get('a')!.down('connection-closed');
    // Assess
    expect(afterOne).toEqual([]);
    expect(seen).toEqual(['up', 'keys ["k"]', 'down connection-closed']);
  });

  it('reports down when a node joins until its tracker is up, and closes the tracker of a node that left', () => {
    // Prepare
    const { seen, listener } = recorder();
    const set = createTrackerSet();
    set.listen(listener);
    const nodes = new Map<string, ReturnType<typeof fakeTracker>>();
    const open = (key: string, events: NodeTrackerEvents) => {
      const fake = fakeTracker(events);
      nodes.set(key, fake);
      return fake.tracker;
    };
    set.reconcile(['a'], open);
    nodes.get('a')!.up();
    // Act
    set.reconcile(['a', 'c'], open);
    const afterJoin = [...seen];
    nodes.get('c')!.up();
    set.reconcile(['c'], open);
    // Assess
    expect(afterJoin).toEqual(['up', 'down topology-changed']);
    expect(seen).toEqual(['up', 'down topology-changed', 'up']);
    expect(nodes.get('a')!.closed()).toBe(true);
  });
});
