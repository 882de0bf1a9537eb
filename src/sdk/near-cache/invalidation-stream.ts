/** What an invalidation stream reports and how it checks its connections. */
export interface InvalidationStreamOptions {
  /** Every key under these prefixes is reported ('' for every key). */
  readonly prefixes: readonly string[];
  /** How often each connection is pinged; two pings unanswered mean it went silent. */
  readonly heartbeatMs: number;
  /** The connections' client name. */
  readonly name: string;
}

/** What an invalidation stream tells the near cache. */
export interface InvalidationListener {
  /** Redis reports these keys changed (written, deleted, expired, evicted); `null`: everything (a FLUSH). */
  invalidated(keys: readonly string[] | null): void;
  /** From now on every change under the tracked prefixes is reported (the stream is connected and subscribed). */
  up(): void;
  /** Changes may go unreported from now on (a connection dropped, a heartbeat went unanswered, a node was added). */
  down(reason: string): void;
  /** Something went wrong that the stream handles itself (it retries); for the cache's `error` event. */
  error(operation: string, error: unknown): void;
}

/**
 * The port the near cache needs from a Redis client: a stream of invalidations for every key under some
 * prefixes, with the moments it is complete (`up`) and may have gaps (`down`). The adapters are
 * `createIoredisInvalidationStream` and `createNodeRedisInvalidationStream`; another client needs only this.
 */
export interface InvalidationStream {
  /** Connect and start reporting to `listener`. Called once. */
  start(listener: InvalidationListener): void;
  /**
   * Resolves once every invalidation for writes Redis acknowledged before the call has been reported (a PING
   * behind them on each connection). For tests and benchmarks.
   */
  sync(): Promise<void>;
  /** The server-side client ids of the stream's connections (for `CLIENT KILL` in tests). */
  clientIds(): Promise<number[]>;
  /** Stop reporting and close the stream's own connections. */
  close(): Promise<void>;
}
