import { createTimeoutSweeper } from '../../../src/sdk/timeout-sweeper';

describe('createTimeoutSweeper', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('times out an operation that did not settle by its deadline, within the resolution', () => {
    // Prepare
    const sweeper = createTimeoutSweeper(100, 10);
    const timedOut: string[] = [];
    sweeper.track(() => timedOut.push('slow'));
    // Act
    jest.advanceTimersByTime(99);
    const early = [...timedOut];
    jest.advanceTimersByTime(11);
    // Assess
    expect(early).toEqual([]);
    expect(timedOut).toEqual(['slow']);
    sweeper.close();
  });

  it('never times out a settled operation, even behind a pending one', () => {
    // Prepare
    const sweeper = createTimeoutSweeper(100, 10);
    const timedOut: string[] = [];
    const first = sweeper.track(() => timedOut.push('first'));
    sweeper.track(() => timedOut.push('second'));
    const third = sweeper.track(() => timedOut.push('third'));
    // Act
    first.settled = true;
    third.settled = true;
    jest.advanceTimersByTime(200);
    // Assess
    expect(timedOut).toEqual(['second']);
    sweeper.close();
  });

  it('stops its timer once idle, and starts it again for new operations', () => {
    // Prepare
    const sweeper = createTimeoutSweeper(100, 10);
    const operation = sweeper.track(() => undefined);
    operation.settled = true;
    // Act
    jest.advanceTimersByTime(50);
    const timersWhenIdle = jest.getTimerCount();
    const timedOut: string[] = [];
    sweeper.track(() => timedOut.push('later'));
    jest.advanceTimersByTime(120);
    // Assess
    expect(timersWhenIdle).toBe(0);
    expect(timedOut).toEqual(['later']);
    sweeper.close();
  });
});
