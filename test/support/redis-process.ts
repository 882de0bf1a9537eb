import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { Socket } from 'node:net';
import { freePort } from './free-port';

/** A throwaway redis-server that a test may stop and start again on the same port. */
export interface RedisProcess {
  /** The TCP port it listens on (the same after a restart). */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Stop the server (SIGKILL-free: SIGTERM, then wait for exit). Idempotent. */
  stop(): Promise<void>;
  /** Start it again on the same port, empty (no persistence). Idempotent. */
  start(): Promise<void>;
  /** Kill it with SIGKILL (a crash: nothing flushed, no goodbye to replicas), and wait for exit. */
  kill(): Promise<void>;
  /** Stop (SIGSTOP) or continue (SIGCONT) the process: frozen, it reads nothing from its sockets. */
  freeze(frozen: boolean): void;
}

async function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    // A server with a password answers NOAUTH: it is up all the same.
    socket.once('data', (data) => done(/^(\+PONG|-NOAUTH)/.test(data.toString())));
    socket.connect(port, '127.0.0.1', () => socket.write('PING\r\n'));
  });
}

/**
 * Start a redis-server on a free port, without persistence, for tests that stop Redis (never stop the
 * shared one); `extraArgs` are more `--name value` settings (`--maxmemory 2mb`, `--replicaof ...`). Stop it
 * in `afterAll`.
 *
 * @example
 * const redis = await startRedisProcess()
 * await redis.stop() // Redis is down
 * await redis.start() // back, empty, same port
 */
export async function startRedisProcess(extraArgs: readonly string[] = []): Promise<RedisProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    if (child) return;
    const spawned = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
        ...extraArgs,
      ],
      { stdio: 'ignore' },
    );
    child = spawned;
    spawned.once('exit', () => {
      if (child === spawned) child = undefined;
    });
    const deadline = Date.now() + 10_000;
    while (!(await answersPing(port))) {
      if (!child) throw new Error(`redis-server on port ${port} exited while starting`);
      if (Date.now() > deadline)
        throw new Error(`redis-server on port ${port} did not answer PING within 10s`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  const end = async (signal: 'SIGTERM' | 'SIGKILL'): Promise<void> => {
    const running = child;
    if (!running) return;
    child = undefined;
    const exited = once(running, 'exit');
    if (signal === 'SIGTERM') running.kill('SIGCONT');
    running.kill(signal);
    await exited;
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    start,
    stop: () => end('SIGTERM'),
    kill: () => end('SIGKILL'),
    freeze: (frozen) => {
      child?.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
    },
  };
}
