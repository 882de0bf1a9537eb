import type { InvalidationListener, InvalidationStream } from './invalidation-stream';
import type { NodeTracker, NodeTrackerEvents } from './track-node-connection';

/** The trackers of one client, one per node, and whether the whole set is reporting. */
export interface TrackerSet extends Omit<InvalidationStream, 'start'> {
  /** The listener every tracker reports to (set once, by `start`). */
  listen(listener: InvalidationListener): void;
  /** Open a tracker for a node that has none. */
  add(key: string, open: (events: NodeTrackerEvents) => NodeTracker): void;
  /** Make the set exactly these nodes: close the trackers of nodes gone, open the new ones (via `open`). */
  reconcile(keys: readonly string[], open: (key: string, events: NodeTrackerEvents) => NodeTracker): void;
  readonly closed: boolean;
}

/**
 * The set of per-node trackers behind an {@link InvalidationStream}, whatever the client library: the
 * stream is up while every node's tracker is; a tracker going down, or a node joining, reports down until
 * the whole set is up again (the near cache is emptied before it serves again).
 *
 * @example
 * const set = createTrackerSet(); set.listen(listener); set.add('standalone', (events) => trackNodeConnection(redis, { ...options, events }))
 */
export function createTrackerSet(): TrackerSet {
  const trackers = new Map<string, NodeTracker>();
  let listener: InvalidationListener | undefined;
  let up = false;
  let closed = false;

  const settle = (reason: string) => {
    const allUp = trackers.size > 0 && [...trackers.values()].every((tracker) => tracker.up);
    if (allUp && !up) {
      up = true;
      listener?.up();
    } else if (!allUp && up) {
      up = false;
      listener?.down(reason);
    }
  };
  const events: NodeTrackerEvents = {
    keys: (keys) => listener?.invalidated(keys),
    up: () => settle('up'),
    down: (reason) => settle(reason),
    error: (operation, error) => listener?.error(operation, error),
  };

  return {
    get closed() {
      return closed;
    },
    listen(given) {
      listener = given;
    },
    add(key, open) {
      if (closed || trackers.has(key)) return;
      trackers.set(key, open(events));
    },
    reconcile(keys, open) {
      if (closed) return;
      const wanted = new Set(keys);
      for (const [key, tracker] of trackers) {
        if (!wanted.has(key)) {
          tracker.close();
          trackers.delete(key);
        }
      }
      for (const key of wanted) if (!trackers.has(key)) trackers.set(key, open(key, events));
      settle('topology-changed');
    },
    async sync() {
      await Promise.all([...trackers.values()].map((tracker) => tracker.sync()));
    },
    async clientIds() {
      return [...trackers.values()].flatMap((tracker) =>
        tracker.clientId === undefined ? [] : [tracker.clientId],
      );
    },
    async close() {
      closed = true;
      for (const tracker of trackers.values()) tracker.close();
      trackers.clear();
      settle('closed');
    },
  };
}
