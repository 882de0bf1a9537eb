import type { Redis } from 'ioredis';
import { startHeartbeat } from './heartbeat';
import type { InvalidationStreamOptions } from './invalidation-stream';
import { syncTracker } from './sync-tracker';

/** The channel Redis publishes tracking invalidations on to a RESP2 client (RESP3 would push them). */
export const INVALIDATE_CHANNEL = '__redis__:invalidate';
const RETRY_SETUP_MS = 1_000;

/** One connection to one Redis node that receives every invalidation under some prefixes. */
export interface NodeTracker {
  /** True while tracking is on and the channel subscribed: every change is being reported. */
  readonly up: boolean;
  /**
   * Resolves once the invalidations of every write acknowledged before the call have been reported, or at
   * once while the tracker is down (the near cache then holds nothing); see syncTracker.
   */
  sync(): Promise<void>;
  /** The connection's server-side client id, when connected. */
  readonly clientId: number | undefined;
  /** Close the connection for good. */
  close(): void;
}

/** What a {@link NodeTracker} reports. */
export interface NodeTrackerEvents {
  keys(keys: readonly string[] | null): void;
  up(): void;
  down(reason: string): void;
  error(operation: string, error: unknown): void;
}

/**
 * Open a connection to `base`'s node (same address, credentials and TLS) that turns on broadcast tracking
 * for `prefixes`, redirected to ITSELF, and subscribes to the invalidation channel: from the subscribe reply
 * on, Redis reports every write, delete, expiry and eviction of a key under the prefixes, whoever made it,
 * with no per-key state on the server. Each (re)connect sets it up again on the new connection (tracking
 * belongs to a connection, and its id changes); `down` is reported as soon as a gap is possible: the
 * connection closed, or two heartbeats went unanswered (a silent network failure).
 *
 * @example
 * const tracker = trackNodeConnection(redis, { prefixes: ['shop:user:'], heartbeatMs: 1000, name: 'l1', events })
 */
export function trackNodeConnection(
  base: Redis,
  options: InvalidationStreamOptions & { readonly events: NodeTrackerEvents },
): NodeTracker {
  const { events } = options;
  const connection = base.duplicate({
    // RESP2 whatever the client speaks: on RESP3 (ioredis 6's default) Redis pushes `invalidate` instead of
    // publishing on the channel, and ioredis hands such pushes to no one. ioredis 5 knows only RESP2.
    ...({ protocol: 2 } as object),
    autoResubscribe: false,
    enableOfflineQueue: false,
    lazyConnect: false,
    keyPrefix: '',
    connectionName: options.name,
    maxRetriesPerRequest: 1,
    retryStrategy: (attempt: number) => Math.min(50 * attempt, 1_000),
  });
  const prefixArgs = options.prefixes.includes('') ? [] : options.prefixes.flatMap((p) => ['PREFIX', p]);
  let up = false;
  let closed = false;
  let session = 0;
  let clientId: number | undefined;
  let retry: NodeJS.Timeout | undefined;
  const heartbeat = startHeartbeat({
    everyMs: options.heartbeatMs,
    isUp: () => up,
    ping: () => connection.ping(),
    silent: () => {
      goDown('heartbeat');
      connection.disconnect(true);
    },
  });

  const goDown = (reason: string) => {
    clientId = undefined;
    heartbeat.reset();
    if (!up) return;
    up = false;
    events.down(reason);
  };

  async function setUp(current: number): Promise<void> {
    try {
      const id = Number(await connection.client('ID'));
      await connection.call('CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(id), 'BCAST', ...prefixArgs);
      await connection.subscribe(INVALIDATE_CHANNEL);
      if (closed || current !== session) return;
      clientId = id;
      up = true;
      events.up();
    } catch (error) {
      if (closed || current !== session) return;
      // Tracking refused (an ACL without CLIENT, a server without tracking): stay down, retry later.
      events.error('near-cache-tracking', error);
      retry = setTimeout(() => connection.disconnect(true), RETRY_SETUP_MS);
      retry.unref();
    }
  }

  connection.on('ready', () => {
    session += 1;
    void setUp(session);
  });
  connection.on('close', () => {
    session += 1;
    goDown('connection-closed');
  });
  connection.on('error', (error: unknown) => events.error('near-cache-connection', error));
  connection.on('messageBuffer', (channel: Buffer, message: Buffer | Buffer[] | null) => {
    if (channel.toString() !== INVALIDATE_CHANNEL) return;
    if (message === null) events.keys(null);
    else if (Array.isArray(message)) events.keys(message.map((key) => key.toString()));
    else events.keys([message.toString()]);
  });

  return {
    get up() {
      return up;
    },
    get clientId() {
      return clientId;
    },
    sync: () =>
      syncTracker(
        () => up,
        () => connection.ping(),
      ),
    close() {
      closed = true;
      heartbeat.stop();
      if (retry) clearTimeout(retry);
      goDown('closed');
      connection.disconnect();
    },
  };
}
