import {
  backoffDelay,
  createBackoff,
  DEFAULT_RETRY_OPTIONS,
  isRetriableRedisError,
  redisFault,
  retry,
  sleep,
} from '../../../src/core/retry';
import { CdcCacheError } from '../../../src/errors';

function errorWith(message: string, code?: string, name?: string): Error {
  const error = new Error(message) as Error & { code?: string };
  if (code) error.code = code;
  if (name) error.name = name;
  return error;
}

describe('isRetriableRedisError', () => {
  it.each([
    ['a refused connection', errorWith('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED')],
    ['a closed connection', errorWith('Connection is closed.')],
    [
      'ioredis giving up on a request',
      errorWith('Reached the max retries per request limit', undefined, 'MaxRetriesPerRequestError'),
    ],
    ['node-redis offline', errorWith('The client is offline', undefined, 'ClientOfflineError')],
    ['node-redis closed', errorWith('The client is closed', undefined, 'ClientClosedError')],
    ['GLIDE timing out', errorWith('timed out', undefined, 'TimeoutError')],
    ['GLIDE closing', errorWith('Connection error', undefined, 'ClosingError')],
    ['CLUSTERDOWN', errorWith('CLUSTERDOWN The cluster is down')],
    ['TRYAGAIN', errorWith('TRYAGAIN Multiple keys request during rehashing of slot')],
    ['LOADING', errorWith('LOADING Redis is loading the dataset in memory')],
    ['MOVED', errorWith('MOVED 3999 127.0.0.1:7002')],
    ['a command timeout', errorWith('Command timed out')],
    ['OOM under noeviction', errorWith("OOM command not allowed when used memory > 'maxmemory'.")],
    [
      'OOM inside a script (Redis 7)',
      errorWith("OOM command not allowed when used memory > 'maxmemory'. script: ff96, on @user_script:1."),
    ],
    ['a rotated password', errorWith('WRONGPASS invalid username-password pair or user is disabled.')],
    ['a connection that lost its authentication', errorWith('NOAUTH Authentication required.')],
    ['a revoked command', errorWith("NOPERM this user has no permissions to run the 'evalsha' command")],
    [
      'a revoked key pattern inside a script',
      errorWith("ERR The user executing the script can't access at least one of the keys mentioned"),
    ],
    ['a demoted primary', errorWith("READONLY You can't write against a read only replica.")],
    ['a replica without its primary', errorWith('MASTERDOWN Link with MASTER is down')],
    ['a busy script', errorWith('BUSY Redis is busy running a script.')],
    [
      'an older server wrapping a script error',
      errorWith('ERR Error running script (call to f_1): @user_script:1: -OOM command not allowed'),
    ],
  ])('retries %s', (_what, error) => {
    expect(isRetriableRedisError(error)).toBe(true);
  });

  it.each([
    ['WRONGTYPE', errorWith('WRONGTYPE Operation against a key holding the wrong kind of value')],
    [
      'a script error',
      errorWith('ERR user_script:1: Script attempted to access nonexistent global variable'),
    ],
    ['a plan error', new CdcCacheError('CDC_PLAN_FAILED', 'bad row')],
    ['not an error', 'ECONNRESET'],
  ])('does not retry %s', (_what, error) => {
    expect(isRetriableRedisError(error)).toBe(false);
  });
});

describe('redisFault', () => {
  it('names the kind of infrastructure fault, and nothing for an error the command caused', () => {
    // Act
    const faults = [
      errorWith("OOM command not allowed when used memory > 'maxmemory'."),
      errorWith('WRONGPASS invalid username-password pair'),
      errorWith("NOPERM this user has no permissions to run the 'evalsha' command"),
      errorWith("READONLY You can't write against a read only replica."),
      errorWith('connect ECONNREFUSED 127.0.0.1:6379', 'ECONNREFUSED'),
      errorWith('WRONGTYPE Operation against a key holding the wrong kind of value'),
      new CdcCacheError('CDC_REDIS_UNAVAILABLE', 'x', { retriable: true, details: { fault: 'permission' } }),
    ].map(redisFault);
    // Assess
    expect(faults).toEqual([
      'out-of-memory',
      'authentication',
      'permission',
      'server-state',
      'connection',
      undefined,
      'permission',
    ]);
  });
});

describe('sleep', () => {
  it('resolves false at once when its signal aborts', async () => {
    // Prepare
    const stop = new AbortController();
    // Act
    const waiting = sleep(60_000, stop.signal);
    stop.abort();
    // Assess
    expect(await waiting).toBe(false);
    expect(await sleep(1)).toBe(true);
  });
});

describe('backoffDelay', () => {
  it('grows exponentially within the jitter and never exceeds the maximum', () => {
    // Act
    const lowest = [1, 2, 3, 10].map((attempt) => backoffDelay(attempt, DEFAULT_RETRY_OPTIONS, () => 0));
    const highest = [1, 2, 3, 10].map((attempt) => backoffDelay(attempt, DEFAULT_RETRY_OPTIONS, () => 1));
    // Assess
    expect(lowest).toEqual([80, 160, 320, 4000]);
    expect(highest).toEqual([120, 240, 480, 5000]);
  });
});

describe('createBackoff', () => {
  it('grows from the first delay up to the bound, and starts over after reset', () => {
    const backoff = createBackoff({ initialDelayMs: 500, maxDelayMs: 3000, jitter: 0 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([
      500, 1000, 2000, 3000, 3000,
    ]);
    expect(backoff.attempts).toBe(5);
    backoff.reset();
    expect(backoff.next()).toBe(500);
  });

  it('spreads each delay by the jitter, never past the bound', () => {
    const options = { initialDelayMs: 1000, maxDelayMs: 1000, jitter: 0.2 };
    expect(createBackoff(options, () => 0).next()).toBe(800);
    expect(createBackoff(options, () => 0.999).next()).toBe(1000);
  });

  it('rejects a bad option, naming it', () => {
    expect(() => createBackoff({ initialDelayMs: 500, maxDelayMs: 100 })).toThrow(/backoff\.maxDelayMs/);
    expect(() => createBackoff({ jitter: 2 })).toThrow(/backoff\.jitter/);
  });
});

describe('retry', () => {
  it('retries retriable errors, then throws a retriable CDC_REDIS_UNAVAILABLE with the last cause', async () => {
    // Prepare
    const slept: number[] = [];
    const cause = errorWith('Connection is closed.');
    let calls = 0;
    // Act
    const failure = await retry(
      async () => {
        calls++;
        throw cause;
      },
      { ...DEFAULT_RETRY_OPTIONS, retries: 3 },
      {
        sleep: async (ms) => {
          slept.push(ms);
        },
      },
    ).catch((error: unknown) => error);
    // Assess
    expect(calls).toBe(4);
    expect(slept).toHaveLength(3);
    expect(failure).toMatchObject({ code: 'CDC_REDIS_UNAVAILABLE', retriable: true, cause });
  });

  it('rethrows a non-retriable error at once and returns the first success', async () => {
    // Prepare
    const wrongType = errorWith('WRONGTYPE Operation against a key holding the wrong kind of value');
    let attempts = 0;
    const noSleep = async () => undefined;
    // Act
    const failure = await retry(async () => Promise.reject(wrongType), DEFAULT_RETRY_OPTIONS, {
      sleep: noSleep,
    }).catch((error: unknown) => error);
    const value = await retry(
      async () => {
        attempts++;
        if (attempts < 3) throw errorWith('read ECONNRESET', 'ECONNRESET');
        return 'done';
      },
      DEFAULT_RETRY_OPTIONS,
      { sleep: noSleep },
    );
    // Assess
    expect(failure).toBe(wrongType);
    expect(value).toBe('done');
    expect(attempts).toBe(3);
  });
});
