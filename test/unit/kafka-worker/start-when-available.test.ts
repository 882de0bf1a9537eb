import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  UserError,
} from '@platformatic/kafka';
import {
  isTransientStartError,
  startWhenAvailable,
} from '../../../src/runtimes/kafka-worker/start-when-available';

const kafkaError = (name: string, retriable: boolean, cause?: Error) =>
  Object.assign(new Error(name, cause ? { cause } : undefined), { name, retriable });

const silentLogger = { debug() {}, info() {}, warn() {}, error() {} };

/** A fake consumer whose start fails with the given errors, then succeeds. */
function fakeWorkers(failures: Error[]) {
  const built: Array<{ started: boolean; stopped: boolean }> = [];
  const build = () => {
    const state = { started: false, stopped: false };
    built.push(state);
    const failure = failures.shift();
    return {
      async start() {
        if (failure) throw failure;
        state.started = true;
      },
      async stop() {
        state.stopped = true;
      },
    };
  };
  return { build, built };
}

describe('isTransientStartError', () => {
  it('retries a topic that does not exist yet and an unreachable broker, not a failed login', () => {
    // The Kafka client's own errors, as it throws them
    const unknownTopic = new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION');
    expect(isTransientStartError(unknownTopic)).toBe(true);
    // The metadata step's own word for a topic Debezium has not created yet (seen in the demo)
    expect(isTransientStartError(new UserError('Unknown topic demo_1.demo.users.'))).toBe(true);
    expect(isTransientStartError(new UserError('Invalid option groupId'))).toBe(false);
    expect(isTransientStartError(new NetworkError('Connection closed'))).toBe(true);
    expect(isTransientStartError(new MultipleErrors('Metadata failed', [unknownTopic]))).toBe(true);
    expect(isTransientStartError(new Error('wrapped', { cause: new NetworkError('refused') }))).toBe(true);
    expect(isTransientStartError(new AuthenticationError('SASL authentication failed'))).toBe(false);
    // A wrong SCRAM password, as the client reports it: the login failure under network errors
    const failedLogin = new MultipleErrors('Cannot connect to any broker.', [
      new NetworkError('Connection to 127.0.0.1:9094 failed.', {
        cause: new AuthenticationError('SASL authentication failed.', {
          cause: new ProtocolError('SASL_AUTHENTICATION_FAILED'),
        }),
      }),
    ]);
    expect(isTransientStartError(failedLogin)).toBe(false);
    expect(isTransientStartError(new ProtocolError('TOPIC_AUTHORIZATION_FAILED'))).toBe(false);
    expect(isTransientStartError(new TypeError('bad option'))).toBe(false);
  });
});

describe('startWhenAvailable', () => {
  it('builds a fresh consumer per attempt, stops the failed ones, and backs off exponentially', async () => {
    // Prepare
    const { build, built } = fakeWorkers([
      kafkaError('ProtocolError', true),
      kafkaError('ProtocolError', true),
    ]);
    const delays: number[] = [];

    // Act
    await startWhenAvailable(
      build,
      { logger: silentLogger },
      { initialDelayMs: 100, random: () => 0.5, sleep: async (ms) => void delays.push(ms) },
    );

    // Assess
    expect(delays).toEqual([100, 200]);
    expect(built).toEqual([
      { started: false, stopped: true },
      { started: false, stopped: true },
      { started: true, stopped: false },
    ]);
  });

  it('gives up at once on an error that retrying cannot fix', async () => {
    const { build } = fakeWorkers([kafkaError('AuthenticationError', false)]);
    await expect(
      startWhenAvailable(build, { logger: silentLogger }, { sleep: async () => {} }),
    ).rejects.toThrow('AuthenticationError');
  });
});
