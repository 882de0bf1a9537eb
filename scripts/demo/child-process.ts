import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** A process the demo started, with its log file. */
export interface DemoProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Resolves with the first stdout line matching `pattern`, or rejects when the process exits or the bound passes. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `graceMs`. Resolves once the process has exited. */
  stop(graceMs?: number): Promise<void>;
}

const LOG_DIR = join(process.cwd(), '.stack', 'logs');

/**
 * Start a TypeScript entry point with tsx as a child process; its output goes to `.stack/logs/demo-<name>.log`.
 *
 * @example
 * const worker = startProcess('kafka-worker', ['src/cli/main.ts', 'worker', 'kafka'], { CDC_CACHE_HTTP_PORT: '0' })
 */
export function startProcess(
  name: string,
  args: readonly string[],
  env: Record<string, string>,
): DemoProcess {
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `demo-${name}.log`);
  const log = createWriteStream(logFile);
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const listeners = new Set<() => void>();
  let pending = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    log.write(chunk);
    pending += chunk.toString('utf8');
    const parts = pending.split('\n');
    pending = parts.pop()!;
    lines.push(...parts);
    for (const listener of listeners) listener();
  });
  child.stderr!.pipe(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  exited.then(() => {
    for (const listener of listeners) listener();
  });

  return {
    name,
    pid: child.pid!,
    logFile,
    child,
    waitForLine(pattern, timeoutMs) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => done(new Error(`${name}: not ready after ${timeoutMs} ms; see ${logFile}`)),
          timeoutMs,
        );
        const check = () => {
          for (const line of lines) {
            const match = pattern.exec(line);
            if (match) return done(undefined, match);
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            done(
              new Error(
                `${name}: exited (${child.exitCode ?? child.signalCode}) before it was ready; see ${logFile}`,
              ),
            );
          }
        };
        const done = (error?: Error, match?: RegExpExecArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (error) reject(error);
          else resolve(match!);
        };
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      log.end();
    },
  };
}
