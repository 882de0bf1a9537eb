import type { RedisArg, RedisPort } from '../../../src/redis/redis-port';
import { CacheEvents } from '../../../src/sdk/cache-events';
import { BREAKER_OPEN, bypassReason, createRedisGuard } from '../../../src/sdk/redis-guard';
import { createManualClock } from '../../support/manual-clock';

const never = () => new Promise<never>(() => undefined);

function guardOnClock(redis: Partial<RedisPort> = {}) {
  const clock = createManualClock();
  const events = new CacheEvents();
  const breakerStates: string[] = [];
  const errors: string[] = [];
  events.on('breaker', ({ state }) => breakerStates.push(state));
  events.on('error', ({ operation, error }) => errors.push(`${operation}: ${error.code}`));
  const guard = createRedisGuard({
    redis: { cluster: false, ...redis } as RedisPort,
    commandTimeoutMs: 250,
    breaker: { failureThreshold: 2, resetTimeoutMs: 1000 },
    events,
    clock,
  });
  return { guard, clock, breakerStates, errors };
}

describe('createRedisGuard', () => {
  it('rejects a command that does not answer within the command timeout, on the clock it is given', async () => {
    // Prepare
    const { guard, clock } = guardOnClock();
    const outcome = guard.run('get', never).catch((error: unknown) => error);
    // Act
    await clock.advance(200);
    const early = await Promise.race([outcome, Promise.resolve('pending')]);
    await clock.advance(100);
    // Assess
    expect(early).toBe('pending');
    expect(await outcome).toMatchObject({
      code: 'CDC_REDIS_UNAVAILABLE',
      message: expect.stringMatching(/timed out after 250ms/),
    });
    guard.close();
  });

  it('opens the breaker after consecutive failures, refuses calls at no cost, and probes once after the reset timeout', async () => {
    // Prepare
    const { guard, clock, breakerStates } = guardOnClock();
    const calls: string[] = [];
    const failing = () => {
      calls.push('sent');
      return Promise.reject(new Error('ECONNREFUSED'));
    };
    await guard.run('get', failing).catch(() => undefined);
    await guard.run('get', failing).catch(() => undefined);
    // Act
    const refused = await guard.run('get', failing).catch((error: unknown) => error);
    await clock.advance(1000);
    const probe = await guard.run('get', () => Promise.resolve('ok'));
    // Assess
    expect(calls).toEqual(['sent', 'sent']);
    expect(refused).toBe(BREAKER_OPEN);
    expect(bypassReason(refused)).toBe('breaker-open');
    expect(probe).toBe('ok');
    expect(breakerStates).toEqual(['open', 'half-open', 'closed']);
    guard.close();
  });

  it('counts a reply error as an answer: it never opens the breaker', async () => {
    // Prepare
    const { guard, breakerStates } = guardOnClock();
    const wrongType = () => Promise.reject(new Error('WRONGTYPE Operation against a key'));
    // Act
    for (let attempt = 0; attempt < 3; attempt++) await guard.run('get', wrongType).catch(() => undefined);
    const after = await guard.run('get', () => Promise.resolve(1));
    // Assess
    expect(after).toBe(1);
    expect(breakerStates).toEqual([]);
    guard.close();
  });

  it('reports handled failures as error events, but not the breaker refusing a call', () => {
    // Prepare
    const { guard, errors } = guardOnClock();
    // Act
    guard.report('fill', new Error('boom'), 'user', 'user:1');
    guard.report('get', BREAKER_OPEN, 'user', 'user:1');
    // Assess
    expect(errors).toEqual(['fill: CDC_REDIS_UNAVAILABLE']);
  });

  it("coalesces one tick's reads into one MGET, each read getting its entry and generation", async () => {
    // Prepare
    const sent: string[][] = [];
    const { guard } = guardOnClock({
      command: (args: readonly RedisArg[]) => {
        const keys = args.slice(1).map(String);
        sent.push(keys);
        return Promise.resolve(keys.map((key) => `value of ${key}`));
      },
    });
    // Act
    const [first, second] = await Promise.all([
      guard.read('user:1', 'gen:user'),
      guard.read('user:2', 'gen:user'),
    ]);
    // Assess
    expect(sent).toEqual([['user:1', 'gen:user', 'user:2']]);
    expect(first).toEqual(['value of user:1', 'value of gen:user']);
    expect(second).toEqual(['value of user:2', 'value of gen:user']);
    guard.close();
  });
});
