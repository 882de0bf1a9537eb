import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from 'pg';
import { connectPostgres } from '../../support/database-clients';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';

/** A `cdc-cache worker postgres` child process. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Wait until a log line contains `text`. */
  waitForLog(text: string, timeoutMs?: number): Promise<void>;
}

/**
 * One test's PostgreSQL objects (table, publication, slot: unique names) and worker processes; `cleanup()`
 * kills the workers and drops the slot, so no slot is left retaining WAL.
 *
 * @example
 * const fixture = await postgresWorkerFixture('users', (table) => ({ entities: { ... } }))
 * const worker = fixture.startWorker()
 */
export async function postgresWorkerFixture(stem: string, keyspace: (table: string) => unknown) {
  const pg: Client = await connectPostgres();
  const table = uniqueName(stem);
  const slot = uniqueName(`${stem}_slot`);
  const publication = uniqueName(`${stem}_pub`);
  const prefix = `${uniqueName(stem)}:`;
  const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-pg-'));
  const keyspacePath = join(directory, 'keyspace.json');
  const keyspaceData = keyspace(`public.${table}`);
  writeFileSync(keyspacePath, JSON.stringify(keyspaceData));
  const children: ChildProcess[] = [];
  const { host, port, user, database } = stackEndpoints().postgres;

  const startWorker = (options: { redisUrl?: string; args?: string[] } = {}): WorkerProcess => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'worker',
        'postgres',
        '--http-port',
        '0',
        ...(options.args ?? []),
      ],
      {
        env: {
          ...process.env,
          CDC_CACHE_KEYSPACE: keyspacePath,
          CDC_CACHE_KEY_PREFIX: prefix,
          CDC_CACHE_REDIS_URL: options.redisUrl ?? stackEndpoints().redis.url,
          CDC_CACHE_POSTGRES_URL: `postgres://${user}@${host}:${port}/${database}`,
          CDC_CACHE_POSTGRES_SLOT: slot,
          CDC_CACHE_POSTGRES_PUBLICATION: publication,
          CDC_CACHE_RETRY_MAX_MS: '500',
          CDC_CACHE_LOG_LEVEL: 'info',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr!.on('data', (chunk) => {
      output += chunk;
    });
    children.push(child);
    const exited = once(child, 'exit').then(([code]) => code as number | null);
    return {
      child,
      output: () => output,
      exited,
      waitForLog: async (text, timeoutMs = 60_000) => {
        await waitFor(() => output.includes(text), {
          description: `worker log '${text}'\n${output}`,
          timeoutMs,
        });
      },
    };
  };

  /** The slot's confirmed flush position, as a number. */
  const confirmedFlush = async (): Promise<bigint> => {
    const result = await pg.query<{ lsn: string }>(
      "SELECT (confirmed_flush_lsn - '0/0')::text AS lsn FROM pg_replication_slots WHERE slot_name = $1",
      [slot],
    );
    return BigInt(result.rows[0]?.lsn ?? '0');
  };
  /** The server's current WAL position (after a commit: past that commit). */
  const currentLsn = async (): Promise<bigint> => {
    const result = await pg.query<{ lsn: string }>("SELECT (pg_current_wal_lsn() - '0/0')::text AS lsn");
    return BigInt(result.rows[0]!.lsn);
  };

  const cleanup = async () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await waitFor(
      async () => {
        const result = await pg.query('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [slot]);
        return result.rows.length === 0 || result.rows[0].active === false;
      },
      { description: `slot ${slot} released` },
    );
    await pg.query(
      'SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1',
      [slot],
    );
    await pg.query(`DROP PUBLICATION IF EXISTS ${publication}`);
    await pg.query(`DROP TABLE IF EXISTS ${table}`);
    await pg.end();
  };

  return {
    pg,
    table,
    slot,
    publication,
    prefix,
    keyspaceData,
    startWorker,
    confirmedFlush,
    currentLsn,
    cleanup,
  };
}
