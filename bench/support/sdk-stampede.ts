import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';

/** Compiled to JavaScript (the benchmarks run tsc output), the child is a .js file beside this one. */
const COMPILED = __filename.endsWith('.js');

/** What one stampede child is told to do. */
export interface StampedeChildConfig {
  readonly mode: 'cdc-cache' | 'naive';
  readonly redisUrl: string;
  readonly prefix: string;
  readonly counterKey: string;
  readonly concurrency: number;
  readonly loaderDelayMs: number;
  /** The client library the cache reads through (a name of REDIS_CLIENTS); default: an ioredis client. */
  readonly client?: string;
}

/** What a stampede child reports. */
export type StampedeChildMessage =
  | { type: 'ready' }
  | { type: 'done'; values: string[]; errors: string[]; durationMs: number };

/** The outcome of {@link runStampede}. */
export interface StampedeResult {
  /** How many times the loader ran, across all processes (counted in Redis). */
  readonly loaderCalls: number;
  /** Distinct values the readers got (one load means one value). */
  readonly distinctValues: number;
  /** Reads that failed. */
  readonly errors: string[];
  /** Reads in total. */
  readonly reads: number;
}

/**
 * Fork `processes` children, each with `concurrency` concurrent misses of one key, released at the same
 * moment; count the loader calls through Redis INCR.
 *
 * @example
 * const { loaderCalls } = await runStampede({ mode: 'cdc-cache', processes: 4, concurrency: 250, redisUrl })
 */
export async function runStampede(options: {
  mode: StampedeChildConfig['mode'];
  processes: number;
  concurrency: number;
  redisUrl: string;
  loaderDelayMs?: number;
  client?: string;
}): Promise<StampedeResult> {
  const prefix = `stampede:${options.mode}:${randomBytes(4).toString('hex')}:`;
  const config: StampedeChildConfig = {
    mode: options.mode,
    redisUrl: options.redisUrl,
    prefix,
    counterKey: `${prefix}loader-calls`,
    concurrency: options.concurrency,
    loaderDelayMs: options.loaderDelayMs ?? 100,
    ...(options.client ? { client: options.client } : {}),
  };
  const children = Array.from({ length: options.processes }, () =>
    fork(join(__dirname, `sdk-stampede-child${COMPILED ? '.js' : '.ts'}`), [], {
      execArgv: COMPILED ? [] : ['--import', 'tsx'],
      stdio: 'inherit',
    }),
  );
  try {
    const ready = children.map(
      (child) =>
        new Promise<void>((resolve, reject) => {
          child.once('message', () => resolve());
          child.once('exit', (code) => reject(new Error(`stampede child exited early with code ${code}`)));
        }),
    );
    for (const child of children) child.send(config);
    await Promise.all(ready);
    const done = children.map(
      (child) =>
        new Promise<StampedeChildMessage & { type: 'done' }>((resolve) => {
          child.once('message', (message: StampedeChildMessage) => {
            if (message.type === 'done') resolve(message);
          });
        }),
    );
    for (const child of children) child.send('go');
    const reports = await Promise.all(done);
    const redis = new Redis(options.redisUrl);
    try {
      const loaderCalls = Number((await redis.get(config.counterKey)) ?? 0);
      const keys = [config.counterKey, `${prefix}hot:1`, `${prefix}naive:hot`];
      await redis.unlink(...keys);
      return {
        loaderCalls,
        distinctValues: new Set(reports.flatMap((report) => report.values)).size,
        errors: reports.flatMap((report) => report.errors),
        reads: options.processes * options.concurrency,
      };
    } finally {
      await redis.quit();
    }
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}
