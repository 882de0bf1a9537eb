import { startHeartbeat } from '../../../../src/sdk/near-cache/heartbeat';

describe('startHeartbeat', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** A ping that never answers until `answer` is called. */
  function pendingPings() {
    const answers: (() => void)[] = [];
    return {
      ping: () => new Promise<void>((resolve) => answers.push(resolve)),
      answerAll: () => {
        for (const answer of answers.splice(0)) answer();
      },
      answerFirst: () => answers.shift()?.(),
    };
  }

  it('calls a connection silent after two unanswered pings, and not while pings answer', async () => {
    const pings = pendingPings();
    const silent = jest.fn();
    const heartbeat = startHeartbeat({ everyMs: 100, isUp: () => true, ping: pings.ping, silent });

    await jest.advanceTimersByTimeAsync(200);
    pings.answerAll();
    await jest.advanceTimersByTimeAsync(200);
    expect(silent).not.toHaveBeenCalled();

    await jest.advanceTimersByTimeAsync(100);
    expect(silent).toHaveBeenCalledTimes(1);
    heartbeat.stop();
  });

  it('does not count an answer to a ping sent before the last reset (an older connection)', async () => {
    const pings = pendingPings();
    const silent = jest.fn();
    const heartbeat = startHeartbeat({ everyMs: 100, isUp: () => true, ping: pings.ping, silent });

    await jest.advanceTimersByTimeAsync(100); // ping 1, to the old connection
    heartbeat.reset();
    await jest.advanceTimersByTimeAsync(200); // pings 2 and 3, unanswered
    pings.answerFirst(); // ping 1 answers late
    await jest.advanceTimersByTimeAsync(100);

    expect(silent).toHaveBeenCalledTimes(1);
    heartbeat.stop();
  });

  it('pings only while the connection is up', async () => {
    const ping = jest.fn(() => new Promise<void>(() => undefined));
    const silent = jest.fn();
    const heartbeat = startHeartbeat({ everyMs: 100, isUp: () => false, ping, silent });

    await jest.advanceTimersByTimeAsync(1_000);

    expect(ping).not.toHaveBeenCalled();
    expect(silent).not.toHaveBeenCalled();
    heartbeat.stop();
  });
});
