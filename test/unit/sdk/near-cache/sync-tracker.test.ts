import { CdcCacheError } from '../../../../src/errors';
import { syncTracker } from '../../../../src/sdk/near-cache/sync-tracker';

// The tracking connection's sync: resolves at once while down, resolves when the connection goes down before
// the PING's reply (the near cache was emptied), and names any other failure with a code.
describe('syncTracker', () => {
  it('sends no PING while the tracker is down', async () => {
    // Prepare
    const ping = jest.fn(async () => 'PONG');
    // Act
    await syncTracker(() => false, ping);
    // Assess
    expect(ping).not.toHaveBeenCalled();
  });

  it('waits for the PING while up', async () => {
    // Prepare
    let answer!: () => void;
    const ping = () => new Promise<void>((resolve) => (answer = resolve));
    let done = false;
    // Act
    const synced = syncTracker(() => true, ping).then(() => (done = true));
    await Promise.resolve();
    const beforeReply = done;
    answer();
    await synced;
    // Assess
    expect(beforeReply).toBe(false);
    expect(done).toBe(true);
  });

  it('resolves when the tracker went down before the reply (the connection closed under it)', async () => {
    // Prepare
    let up = true;
    const ping = async () => {
      up = false;
      throw new Error('Connection is closed.');
    };
    // Act
    const outcome = await syncTracker(() => up, ping).then(
      () => 'resolved',
      (error: unknown) => error,
    );
    // Assess
    expect(outcome).toBe('resolved');
  });

  it('rejects with CDC_REDIS_UNAVAILABLE, the client error as its cause, when the PING fails while up', async () => {
    // Prepare
    const cause = new Error('Command timed out');
    // Act
    const outcome = await syncTracker(
      () => true,
      async () => {
        throw cause;
      },
    ).catch((error: unknown) => error);
    // Assess
    expect(outcome).toBeInstanceOf(CdcCacheError);
    expect(outcome).toMatchObject({ code: 'CDC_REDIS_UNAVAILABLE', retriable: true, cause });
    expect((outcome as Error).message).toContain('Command timed out');
  });
});
