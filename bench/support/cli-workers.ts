// `cdc-cache worker ...` child processes for the end-to-end benchmarks: the compiled CLI, as the package ships
// it (scripts/build-bench.mjs builds it), each stopped with SIGTERM at the end.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

/** The workers a benchmark started; {@link stopAll} ends them. */
export class CliWorkers {
  private readonly children: ChildProcess[] = [];

  /**
   * Start `cdc-cache worker <args>` with `env` over this process's environment, its HTTP server on a free
   * port and warnings only on stderr.
   *
   * @example
   * const worker = workers.start(['kafka'], { CDC_CACHE_KAFKA_TOPICS: topic, ... })
   */
  start(args: readonly string[], env: Readonly<Record<string, string>>): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        join(__dirname, '..', '..', 'src', 'cli', 'main.js'),
        'worker',
        ...args,
        '--http-port',
        '0',
        '--log-level',
        'warn',
      ],
      { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    this.children.push(child);
    return child;
  }

  /** SIGTERM every worker and wait until each has exited. */
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
