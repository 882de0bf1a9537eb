import { createTimeoutSweeper } from '../../../src/sdk/timeout-sweeper';
import { createManualClock } from '../../support/manual-clock';

describe('createTimeoutSweeper', () => {
  it('times out an operation that did not settle by its deadline, within the resolution', async () => {
    // Prepare
    const clock = createManualClock();
    const sweeper = createTimeoutSweeper(100, 10, clock);
    const timedOut: string[] = [];
    sweeper.track(() => timedOut.push('slow'));
    // Act
    await clock.advance(99);
    const early = [...timedOut];
    await clock.advance(11);
    // Assess
    expect(early).toEqual([]);
    expect(timedOut).toEqual(['slow']);
    sweeper.close();
  });

  it('never times out a settled operation, even behind a pending one', async () => {
    // Prepare
    const clock = createManualClock();
    const sweeper = createTimeoutSweeper(100, 10, clock);
    const timedOut: string[] = [];
    const first = sweeper.track(() => timedOut.push('first'));
    sweeper.track(() => timedOut.push('second'));
    const third = sweeper.track(() => timedOut.push('third'));
    // Act
    first.settled = true;
    third.settled = true;
    await clock.advance(200);
    // Assess
    expect(timedOut).toEqual(['second']);
    sweeper.close();
  });

  it('stops its timer once idle, and starts it again for new operations', async () => {
    // Prepare
    const clock = createManualClock();
    const sweeper = createTimeoutSweeper(100, 10, clock);
    const operation = sweeper.track(() => undefined);
    operation.settled = true;
    // Act
    await clock.advance(50);
    const timersWhenIdle = clock.pendingTimers();
    const timedOut: string[] = [];
    sweeper.track(() => timedOut.push('later'));
    await clock.advance(120);
    // Assess
    expect(timersWhenIdle).toBe(0);
    expect(timedOut).toEqual(['later']);
    sweeper.close();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('runs on the system clock by default, its timer unref-ed', () => {
    // Prepare
    jest.useFakeTimers();
    try {
      const sweeper = createTimeoutSweeper(100, 10);
      const timedOut: string[] = [];
      sweeper.track(() => timedOut.push('slow'));
      // Act
      jest.advanceTimersByTime(110);
      // Assess
      expect(timedOut).toEqual(['slow']);
      sweeper.close();
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
