import { createBackoff, delayForAttempt } from '../../../src/runtimes/shared/backoff';

describe('createBackoff', () => {
  it('doubles from the first delay up to the bound, and starts over after reset', () => {
    const backoff = createBackoff({ initialMs: 500, maxMs: 3000, jitter: 0 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      500, 1000, 2000, 3000, 3000,
    ]);
    expect(backoff.attempts).toBe(5);
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });

  it('spreads each delay by the jitter, never past the bound', () => {
    const low = createBackoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2, random: () => 0 });
    const high = createBackoff({ initialMs: 1000, maxMs: 1000, jitter: 0.2, random: () => 0.999 });
    expect(low.next()).toBe(800);
    expect(high.next()).toBe(1000);
  });

  it('rejects a bad option, naming it', () => {
    expect(() => createBackoff({ initialMs: 0 })).toThrow(/initialMs/);
    expect(() => createBackoff({ jitter: 1 })).toThrow(/jitter/);
  });
});

describe('delayForAttempt', () => {
  it('doubles from the first delay per attempt up to the bound, with the same jitter as createBackoff', () => {
    const options = { initialMs: 200, maxMs: 1000, jitter: 0, random: () => 0.5 };
    expect([0, 1, 2, 3, 10].map((attempt) => delayForAttempt(attempt, options))).toEqual([
      200, 400, 800, 1000, 1000,
    ]);
    const backoff = createBackoff(options);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([200, 400, 800]);
  });

  it('rejects a first delay above the bound', () => {
    expect(() => delayForAttempt(0, { initialMs: 500, maxMs: 100 })).toThrow(/initialMs ≤ maxMs/);
  });
});
