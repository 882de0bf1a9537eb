import { createCircuitBreaker } from '../../../src/sdk/circuit-breaker';

function breakerWithClock() {
  const clock = { now: 0 };
  const states: string[] = [];
  const breaker = createCircuitBreaker({
    failureThreshold: 3,
    resetTimeoutMs: 1000,
    now: () => clock.now,
    onStateChange: (state) => states.push(state),
  });
  return { breaker, clock, states };
}

describe('createCircuitBreaker', () => {
  it('opens after the threshold of consecutive failures and refuses calls', () => {
    // Prepare
    const { breaker, states } = breakerWithClock();
    // Act
    breaker.failure();
    breaker.failure();
    const beforeThreshold = breaker.allow();
    breaker.failure();
    // Assess
    expect(beforeThreshold).toBe(true);
    expect(breaker.allow()).toBe(false);
    expect(states).toEqual(['open']);
  });

  it('resets the count on a success', () => {
    // Prepare
    const { breaker } = breakerWithClock();
    // Act
    breaker.failure();
    breaker.failure();
    breaker.success();
    breaker.failure();
    breaker.failure();
    // Assess
    expect(breaker.state).toBe('closed');
  });

  it('lets exactly one probe through after the reset timeout; its success closes the breaker', () => {
    // Prepare
    const { breaker, clock, states } = breakerWithClock();
    for (let failure = 0; failure < 3; failure++) breaker.failure();
    clock.now = 1000;
    // Act
    const probe = breaker.allow();
    const second = breaker.allow();
    breaker.success();
    // Assess
    expect([probe, second]).toEqual([true, false]);
    expect(states).toEqual(['open', 'half-open', 'closed']);
    expect(breaker.allow()).toBe(true);
  });

  it('opens again at once when the probe fails', () => {
    // Prepare
    const { breaker, clock } = breakerWithClock();
    for (let failure = 0; failure < 3; failure++) breaker.failure();
    clock.now = 1000;
    breaker.allow();
    // Act
    breaker.failure();
    // Assess
    expect(breaker.state).toBe('open');
    clock.now = 1999;
    expect(breaker.allow()).toBe(false);
    clock.now = 2000;
    expect(breaker.allow()).toBe(true);
  });
});
