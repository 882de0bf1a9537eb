import { startHeartbeat } from './heartbeat';
import type { InvalidationStreamOptions } from './invalidation-stream';
import { syncTracker } from './sync-tracker';
import type { NodeTracker, NodeTrackerEvents } from './track-node-connection';

const RETRY_SETUP_MS = 1_000;

/** The part of a node-redis (5 or 6) client the tracker uses (structural: no import of the library). */
export interface NodeRedisTrackable {
  duplicate(overrides: Record<string, unknown>): NodeRedisTrackingConnection;
}

/** A node-redis connection opened by `duplicate`. */
export interface NodeRedisTrackingConnection {
  sendCommand(args: string[]): Promise<unknown>;
  connect(): Promise<unknown>;
  destroy(): void;
  readonly isReady: boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
}

/**
 * The node-redis counterpart of `trackNodeConnection`: a RESP3 duplicate of `base` (same address,
 * credentials and TLS) with node-redis' `emitInvalidate`, which hands every `invalidate` push to an
 * `invalidate` event. Broadcast tracking for `prefixes` is turned on over the connection itself (RESP3
 * pushes invalidations to the tracking connection: no REDIRECT, no SUBSCRIBE). Each `ready` (node-redis
 * reconnected) sets it up again on the new connection; `down` is reported as soon as a gap is possible: an
 * error, a reconnect, the end of the client, or two heartbeats unanswered (then the connection is replaced).
 *
 * @example
 * const tracker = trackNodeRedisConnection(client, { prefixes: ['shop:user:'], heartbeatMs: 1000, name: 'l1', events })
 */
export function trackNodeRedisConnection(
  base: NodeRedisTrackable,
  options: InvalidationStreamOptions & { readonly events: NodeTrackerEvents },
): NodeTracker {
  const { events } = options;
  const prefixArgs = options.prefixes.includes('') ? [] : options.prefixes.flatMap((p) => ['PREFIX', p]);
  let connection: NodeRedisTrackingConnection;
  let up = false;
  let closed = false;
  let session = 0;
  let clientId: number | undefined;
  let retry: NodeJS.Timeout | undefined;
  const heartbeat = startHeartbeat({
    everyMs: options.heartbeatMs,
    isUp: () => up,
    ping: () => connection.sendCommand(['PING']),
    // node-redis would not notice: replace the connection.
    silent: () => {
      goDown('heartbeat');
      replace();
    },
  });

  const goDown = (reason: string) => {
    session += 1;
    clientId = undefined;
    heartbeat.reset();
    if (!up) return;
    up = false;
    events.down(reason);
  };

  async function setUp(current: number, on: NodeRedisTrackingConnection): Promise<void> {
    try {
      // Sent in one tick, so node-redis writes them together: one round trip. `emitInvalidate` turned
      // default-mode tracking on in the handshake; broadcast needs it off first.
      const [id] = await Promise.all([
        on.sendCommand(['CLIENT', 'ID']).then(Number),
        on.sendCommand(['CLIENT', 'TRACKING', 'OFF']),
        on.sendCommand(['CLIENT', 'TRACKING', 'ON', 'BCAST', ...prefixArgs]),
      ]);
      if (closed || current !== session || on !== connection) return;
      clientId = id;
      up = true;
      events.up();
    } catch (error) {
      if (closed || current !== session || on !== connection) return;
      // Tracking refused (an ACL without CLIENT, a server without tracking): stay down, retry later.
      events.error('near-cache-tracking', error);
      replaceLater();
    }
  }

  /** A fresh connection: node-redis reconnects by itself, but not after a heartbeat failure or its end. */
  function open(): void {
    const opened = base.duplicate({
      RESP: 3,
      emitInvalidate: true,
      clientSideCache: undefined,
      name: options.name,
      disableOfflineQueue: true,
      pingInterval: undefined,
    });
    connection = opened;
    opened.on('invalidate', (key: string | Buffer | null) => {
      if (opened !== connection) return;
      events.keys(key === null ? null : [typeof key === 'string' ? key : key.toString()]);
    });
    opened.on('ready', () => {
      if (opened !== connection) return;
      goDown('reconnected');
      void setUp(session, opened);
    });
    opened.on('error', (error: unknown) => {
      if (opened !== connection || closed) return;
      events.error('near-cache-connection', error);
      goDown(opened.isReady ? 'connection-error' : 'connection-closed');
      // An error that did not cost the socket (node-redis would emit `ready` again otherwise): set up again.
      if (opened.isReady) void setUp(session, opened);
    });
    opened.on('reconnecting', () => {
      if (opened === connection) goDown('connection-closed');
    });
    // `end`: closed for good; `terminated` (node-redis 6): its reconnect strategy gave up. Open another.
    for (const event of ['end', 'terminated']) {
      opened.on(event, () => {
        if (opened !== connection || closed) return;
        goDown('connection-closed');
        replaceLater();
      });
    }
    opened.connect().catch((error: unknown) => {
      if (opened !== connection || closed) return;
      events.error('near-cache-connection', error);
      replaceLater();
    });
  }

  function replace(): void {
    if (closed) return;
    const old = connection;
    goDown('replaced');
    open();
    old.destroy();
  }

  function replaceLater(): void {
    if (retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      replace();
    }, RETRY_SETUP_MS);
    retry.unref();
  }

  open();

  return {
    get up() {
      return up;
    },
    get clientId() {
      return clientId;
    },
    // Pushes and replies share the socket, in order: the PING's reply comes after every earlier push.
    sync: () =>
      syncTracker(
        () => up,
        () => connection.sendCommand(['PING']),
      ),
    close() {
      closed = true;
      heartbeat.stop();
      if (retry) clearTimeout(retry);
      goDown('closed');
      connection.destroy();
    },
  };
}
