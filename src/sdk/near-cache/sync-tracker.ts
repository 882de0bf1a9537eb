import { CdcCacheError } from '../../errors';

/**
 * A tracking connection's `sync`: a PING, whose reply comes after every push sent before it on the same
 * connection. While the tracker is down, or once it went down before the reply, the near cache holds nothing
 * and fills nothing until the stream is up again, so every invalidation is applied as far as readers can
 * see: resolve. Any other failure is Redis being unavailable, with a code that says so.
 *
 * @example
 * sync: () => syncTracker(() => up, () => connection.ping())
 */
export async function syncTracker(isUp: () => boolean, ping: () => Promise<unknown>): Promise<void> {
  if (!isUp()) return;
  try {
    await ping();
  } catch (error) {
    if (!isUp()) return;
    throw new CdcCacheError('CDC_REDIS_UNAVAILABLE', `near cache sync: ${(error as Error).message}`, {
      cause: error,
      retriable: true,
    });
  }
}
