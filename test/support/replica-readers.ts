import { fork } from 'node:child_process';
import { join } from 'node:path';

/** Compiled to JavaScript (the benchmarks run tsc output), the child is a .js file beside this one. */
const COMPILED = __filename.endsWith('.js');

/** What one reader process is told to do. */
export interface ReplicaReaderConfig {
  readonly redisUrl: string;
  readonly prefix: string;
  /** The keyspace's `entities`, as data (the worker reads the same). */
  readonly entities: Record<string, unknown>;
  /** The entity read, and the table column its one key parameter comes from (`id` or `email`). */
  readonly entity: string;
  readonly keyColumn: 'id' | 'email';
  /** The key parameters read, in turn. */
  readonly params: ReadonlyArray<Record<string, string | number>>;
  /** The table the loader reads (columns id, email, n). */
  readonly table: string;
  /** node-postgres connection settings of the standby. */
  readonly standby: { host: string; port: number; user: string; database: string };
  /** Report the standby's snapshot to the cache (`ctx.readPosition` with `readPostgresPosition`). */
  readonly readPosition: boolean;
  /** A Redis counter every load increments (so the test can wait for loads). */
  readonly loadsKey: string;
  /** Concurrent read loops in the process (and pool connections). */
  readonly concurrency: number;
  /** Pause of each loop between two reads. */
  readonly pauseMs: number;
  /**
   * A near cache in the reader, on a client of this library (default: none, and a URL opens ioredis). When
   * stopped, such a reader reads every key once more and reports what it served (memory or Redis).
   */
  readonly nearCacheClient?: 'ioredis' | 'node-redis';
}

/** What a reader with a near cache served for one key after it stopped its loops. */
export interface ServedValue {
  readonly params: Record<string, string | number>;
  readonly value: unknown;
}

/** What a reader process reports. */
export type ReplicaReaderMessage =
  | { type: 'ready' }
  | {
      type: 'done';
      reads: number;
      loads: number;
      errors: string[];
      /** With a near cache: each key read once more after the loops stopped, and the near cache's hits. */
      served: ServedValue[];
      nearHits: number;
    };

/** Running reader processes; `stop` ends their loops and sums what they did. */
export interface ReplicaReaders {
  stop(): Promise<{
    reads: number;
    loads: number;
    errors: string[];
    served: ServedValue[];
    nearHits: number;
  }>;
}

/**
 * Fork `processes` reader processes, each running `config.concurrency` read-through loops over
 * `config.params` until `stop()`; resolves once every process reads.
 *
 * @example
 * const readers = await startReplicaReaders(2, { ...config, readPosition: true })
 * await writeForAWhile()
 * const { loads } = await readers.stop()
 */
export async function startReplicaReaders(
  processes: number,
  config: ReplicaReaderConfig,
): Promise<ReplicaReaders> {
  const children = Array.from({ length: processes }, () =>
    fork(join(__dirname, `replica-reader-child${COMPILED ? '.js' : '.ts'}`), [], {
      execArgv: COMPILED ? [] : ['--import', 'tsx'],
      stdio: 'inherit',
    }),
  );
  const reports = children.map(
    (child) =>
      new Promise<ReplicaReaderMessage & { type: 'done' }>((resolve, reject) => {
        child.on('message', (message: ReplicaReaderMessage) => {
          if (message.type === 'done') resolve(message);
        });
        child.once('exit', (code) => reject(new Error(`replica reader exited with code ${code}`)));
      }),
  );
  // Awaited by stop(); until then a child that dies must not be an unhandled rejection.
  for (const report of reports) report.catch(() => undefined);
  try {
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            child.on('message', (message: ReplicaReaderMessage) => {
              if (message.type === 'ready') resolve();
            });
            child.once('exit', (code) => reject(new Error(`replica reader exited early with code ${code}`)));
            child.send(config);
          }),
      ),
    );
  } catch (error) {
    for (const child of children) child.kill();
    throw error;
  }
  return {
    async stop() {
      for (const child of children) child.send('stop');
      try {
        const done = await Promise.all(reports);
        return {
          reads: done.reduce((sum, report) => sum + report.reads, 0),
          loads: done.reduce((sum, report) => sum + report.loads, 0),
          errors: done.flatMap((report) => report.errors),
          served: done.flatMap((report) => report.served),
          nearHits: done.reduce((sum, report) => sum + report.nearHits, 0),
        };
      } finally {
        for (const child of children) if (child.exitCode === null) child.kill();
      }
    },
  };
}
