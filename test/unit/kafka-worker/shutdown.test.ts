import { EventEmitter } from 'node:events';
import { handleShutdownSignals } from '../../../src/runtimes/shared/shutdown';

function signals() {
  const emitter = new EventEmitter();
  return {
    emitter: emitter as unknown as Pick<NodeJS.Process, 'on' | 'off'>,
    send: (name: string) => emitter.emit(name, name),
  };
}

describe('handleShutdownSignals', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('stops once on SIGTERM and exits 0 when stop resolves', async () => {
    const { emitter, send } = signals();
    const exits: number[] = [];
    const stop = jest.fn(async () => undefined);
    handleShutdownSignals({ stop, emitter, exit: (code) => exits.push(code) });

    send('SIGTERM');
    await jest.runAllTimersAsync();

    expect(stop).toHaveBeenCalledWith('SIGTERM');
    expect(exits).toEqual([0]);
  });

  it('exits 1 when stop outlasts the bound', async () => {
    const { emitter, send } = signals();
    const exits: number[] = [];
    handleShutdownSignals({
      stop: () => new Promise(() => undefined),
      emitter,
      timeoutMs: 5000,
      exit: (code) => exits.push(code),
    });

    send('SIGINT');
    jest.advanceTimersByTime(4999);
    expect(exits).toEqual([]);
    jest.advanceTimersByTime(1);

    expect(exits).toEqual([1]);
  });

  it('exits 1 at once on a second signal, and 1 when stop fails', async () => {
    const first = signals();
    const exits: number[] = [];
    handleShutdownSignals({
      stop: () => new Promise(() => undefined),
      emitter: first.emitter,
      exit: (code) => exits.push(code),
    });
    first.send('SIGTERM');
    first.send('SIGTERM');
    expect(exits).toEqual([1]);

    const second = signals();
    const failed: number[] = [];
    handleShutdownSignals({
      stop: async () => Promise.reject(new Error('x')),
      emitter: second.emitter,
      exit: (code) => failed.push(code),
    });
    second.send('SIGTERM');
    await jest.runAllTimersAsync();
    expect(failed).toEqual([1]);
  });

  it('removes its handlers when disposed', () => {
    const { emitter, send } = signals();
    const stop = jest.fn(async () => undefined);
    const dispose = handleShutdownSignals({ stop, emitter, exit: () => undefined });
    dispose();
    send('SIGTERM');
    expect(stop).not.toHaveBeenCalled();
  });
});
