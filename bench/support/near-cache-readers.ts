import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';

/** Compiled to JavaScript (the benchmarks run tsc output), the child is a .js file beside this one. */
const COMPILED = __filename.endsWith('.js');

/** What each reader process is told at start. */
export interface NearReaderConfig {
  readonly mode: 'readers' | 'latency';
  readonly redisUrl: string;
  readonly prefix: string;
  /** Rows live at `<dbPrefix><id>` as JSON (null when absent): the "database". */
  readonly dbPrefix: string;
  readonly ids: readonly number[];
  /** Read loops per process (`readers` mode). */
  readonly concurrency: number;
  readonly pauseMs: number;
}

/** Requests to a reader process. */
export type NearReaderRequest =
  | { type: 'ids' }
  | { type: 'arm'; id: number }
  | { type: 'check' }
  | { type: 'stop' };

/** What a reader process says. */
export type NearReaderReply =
  | { type: 'ready' }
  | { type: 'ids'; ids: number[] }
  | { type: 'armed'; key: string }
  | { type: 'evicted'; key: string; at: number }
  | {
      type: 'checked';
      stale: string[];
      nearHits: number;
      errors: string[];
      stats: object;
    };

/** Running reader processes. */
export interface NearReaders {
  /** Send `request` to every process; resolves with each one's first reply of type `reply`. */
  ask<Type extends NearReaderReply['type']>(
    request: NearReaderRequest,
    reply: Type,
  ): Promise<Extract<NearReaderReply, { type: Type }>[]>;
  /** Listen to every message of every process. */
  onReply(listener: (reply: NearReaderReply, process: number) => void): void;
  /** Stop every process and wait for it to exit. */
  stop(): Promise<void>;
}

/**
 * Fork `processes` readers with near caches; resolves once every one's invalidation stream is up.
 *
 * @example
 * const readers = await startNearCacheReaders(3, { mode: 'readers', redisUrl, prefix, dbPrefix, ids, concurrency: 4, pauseMs: 2 })
 * const checks = await readers.ask({ type: 'check' }, 'checked')
 */
export async function startNearCacheReaders(
  processes: number,
  config: NearReaderConfig,
): Promise<NearReaders> {
  const children: ChildProcess[] = Array.from({ length: processes }, () =>
    fork(join(__dirname, `near-cache-reader-child${COMPILED ? '.js' : '.ts'}`), [], {
      execArgv: COMPILED ? [] : ['--import', 'tsx'],
      stdio: 'inherit',
    }),
  );
  const next = <Type extends NearReaderReply['type']>(child: ChildProcess, type: Type) =>
    new Promise<Extract<NearReaderReply, { type: Type }>>((resolve, reject) => {
      const onMessage = (message: NearReaderReply) => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        child.off('exit', onExit);
        resolve(message as Extract<NearReaderReply, { type: Type }>);
      };
      const onExit = (code: number | null) => reject(new Error(`near cache reader exited with code ${code}`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const ready = Promise.all(children.map((child) => next(child, 'ready')));
  for (const child of children) child.send(config);
  await ready;
  return {
    async ask(request, reply) {
      const replies = Promise.all(children.map((child) => next(child, reply)));
      for (const child of children) child.send(request);
      return replies;
    },
    onReply(listener) {
      children.forEach((child, index) => {
        child.on('message', (message: NearReaderReply) => listener(message, index));
      });
    },
    async stop() {
      await Promise.all(
        children.map(
          (child) =>
            new Promise<void>((resolve) => {
              if (child.exitCode !== null) return resolve();
              child.once('exit', () => resolve());
              child.send({ type: 'stop' } satisfies NearReaderRequest);
              setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
            }),
        ),
      );
    },
  };
}
