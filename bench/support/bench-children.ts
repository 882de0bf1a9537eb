// The child processes of the end-to-end benchmarks (`cdc-cache worker ...` through the compiled CLI, as the
// package ships it: scripts/build-bench.mjs builds it; a benchmark's own child scripts), each stopped with
// SIGTERM at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The children a benchmark started; {@link stopAll} ends them. */
export class BenchChildren {
  private readonly children: ChildProcess[] = [];

  /**
   * Run `node <args>` with `env` over this process's environment; its stdout ignored, or piped to be read.
   *
   * @example
   * const child = children.start([join(__dirname, 'dynamodb-lambda-child.js'), task], {}, 'pipe')
   */
  start(
    args: readonly string[],
    env: Readonly<Record<string, string>>,
    stdout: 'ignore' | 'pipe' = 'ignore',
  ): ChildProcess {
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', stdout, 'inherit'],
    });
    this.children.push(child);
    return child;
  }

  /**
   * Start `cdc-cache worker <args>`, its HTTP server on a free port and warnings only on stderr.
   *
   * @example
   * const worker = children.startWorker(['kafka'], { CDC_CACHE_KAFKA_TOPICS: topic, ... })
   */
  startWorker(args: readonly string[], env: Readonly<Record<string, string>>): ChildProcess {
    const main = join(__dirname, '..', '..', 'src', 'cli', 'main.js');
    return this.start([main, 'worker', ...args, '--http-port', '0', '--log-level', 'warn'], env);
  }

  /** SIGTERM every child and wait until each has exited. */
  async stopAll(): Promise<void> {
    for (const child of this.children) child.kill('SIGTERM');
    await Promise.all(
      this.children.map(
        (child) =>
          new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null))),
      ),
    );
  }
}
