/** A heartbeat of a tracking connection, started by {@link startHeartbeat}. */
export interface Heartbeat {
  /** Forget the pings in flight (the connection went down or was replaced). */
  reset(): void;
  stop(): void;
}

/**
 * Ping a tracking connection every `everyMs` while it is up; two pings unanswered mean it went silent (a frozen
 * server, a dropped network path: no error, no close), so invalidations may be lost and `silent` runs. A ping
 * sent before the last `reset` answers for an older connection and counts for nothing.
 *
 * @example
 * const heartbeat = startHeartbeat({ everyMs: 1000, isUp: () => up, ping: () => connection.ping(), silent: reconnect })
 */
export function startHeartbeat(options: {
  readonly everyMs: number;
  readonly isUp: () => boolean;
  readonly ping: () => Promise<unknown>;
  readonly silent: () => void;
}): Heartbeat {
  let unanswered = 0;
  let round = 0;
  const reset = () => {
    unanswered = 0;
    round += 1;
  };
  const timer = setInterval(() => {
    if (!options.isUp()) return;
    if (unanswered >= 2) {
      reset();
      options.silent();
      return;
    }
    unanswered += 1;
    const sentIn = round;
    options.ping().then(
      () => {
        if (sentIn === round) unanswered = 0;
      },
      () => undefined,
    );
  }, options.everyMs);
  timer.unref();
  return { reset, stop: () => clearInterval(timer) };
}
