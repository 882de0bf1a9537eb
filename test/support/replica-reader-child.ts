// A child process of startReplicaReaders (replica-readers.ts): read-through loops on a few hot keys, through
// createCache, with a loader that reads the lagging standby through node-postgres. With `readPosition`, the
// loader reports the standby's snapshot the way docs/sdk.md tells read services to.
import { Pool } from 'pg';
import { type KeyValue, keyspaceFromData } from '../../src/keyspace';
import { createCache, type LoaderContext } from '../../src/sdk/create-cache';
import { readPostgresPosition } from '../../src/sdk/read-postgres-position';
import type { ReplicaReaderConfig, ReplicaReaderMessage } from './replica-readers';

const send = (message: ReplicaReaderMessage) => process.send?.(message);
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(config: ReplicaReaderConfig): Promise<void> {
  const keyspace = keyspaceFromData({ entities: config.entities });
  const cache = createCache({ redis: config.redisUrl, keyspace, prefix: config.prefix });
  const pool = new Pool({ ...config.standby, max: config.concurrency, connectionTimeoutMillis: 5_000 });
  const column = config.keyColumn;
  let loads = 0;
  let reads = 0;
  const errors: string[] = [];
  const loader = async (context: LoaderContext<Record<string, KeyValue>>) => {
    loads += 1;
    await cache.redis.incr(config.loadsKey);
    const client = await pool.connect();
    try {
      // The snapshot, read in its own statement BEFORE the one that reads the row (docs/sdk.md).
      if (config.readPosition) context.readPosition(await readPostgresPosition(client));
      const { rows } = await client.query(`SELECT id, email, n FROM ${config.table} WHERE ${column} = $1`, [
        context.params[column],
      ]);
      return rows[0] ?? null;
    } finally {
      client.release();
    }
  };
  let stopped = false;
  process.once('message', () => {
    stopped = true;
  });
  send({ type: 'ready' });
  await Promise.all(
    Array.from({ length: config.concurrency }, async (_, loop) => {
      for (let i = loop; !stopped; i++) {
        const params = config.params[(i * 7 + loop) % config.params.length]!;
        try {
          await cache.get(config.entity, params, loader);
          reads += 1;
        } catch (error) {
          if (errors.length < 5) errors.push(String(error));
        }
        // A short pause keeps the hit loops from taking the CPU the change stream needs.
        await pause(config.pauseMs);
      }
    }),
  );
  send({ type: 'done', reads, loads, errors });
  await cache.close();
  await pool.end();
}

process.once('message', (config: ReplicaReaderConfig) => {
  main(config).then(
    () => process.exit(0),
    (error) => {
      send({ type: 'done', reads: 0, loads: 0, errors: [String(error)] });
      process.exit(1);
    },
  );
});
