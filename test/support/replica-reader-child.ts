// A child process of startReplicaReaders (replica-readers.ts): read-through loops on a few hot keys, through
// createCache, with a loader that reads the lagging standby through node-postgres. With `readPosition`, the
// loader reports the standby's snapshot the way docs/sdk.md tells read services to.
import { Pool } from 'pg';
import { createClient } from 'redis';
import { type KeyValue, keyspaceFromData } from '../../src/keyspace';
import { createCache, type LoaderContext } from '../../src/sdk/create-cache';
import { readPostgresPosition } from '../../src/sdk/read-postgres-position';
import type { ReplicaReaderConfig, ReplicaReaderMessage, ServedValue } from './replica-readers';

const send = (message: ReplicaReaderMessage) => process.send?.(message);
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(config: ReplicaReaderConfig): Promise<void> {
  const keyspace = keyspaceFromData({ entities: config.entities });
  const nodeRedis =
    config.nearCacheClient === 'node-redis'
      ? await createClient({ url: config.redisUrl, disableOfflineQueue: true }).connect()
      : undefined;
  const cache = createCache({
    redis: nodeRedis ?? config.redisUrl,
    keyspace,
    prefix: config.prefix,
    // A long ttl: only the invalidations keep what memory serves coherent.
    ...(config.nearCacheClient ? { nearCache: { maxEntries: 1_000, ttl: '10m', heartbeat: '5s' } } : {}),
  });
  const near = cache.nearCache;
  while (near && !near.stats().up) await pause(10);
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
  // After quiescence: what does each key read as now (from memory where held)?
  const served: ServedValue[] = [];
  if (near) {
    await near.sync();
    for (const params of config.params)
      served.push({ params, value: await cache.get(config.entity, params, loader) });
  }
  send({ type: 'done', reads, loads, errors, served, nearHits: near?.stats().hits ?? 0 });
  await cache.close();
  await nodeRedis?.close();
  await pool.end();
}

process.once('message', (config: ReplicaReaderConfig) => {
  main(config).then(
    () => process.exit(0),
    (error) => {
      send({ type: 'done', reads: 0, loads: 0, errors: [String(error)], served: [], nearHits: 0 });
      process.exit(1);
    },
  );
});
