// A child process of startNearCacheReaders (near-cache-readers.ts): a reader with a near cache. In `readers`
// mode it reads hot keys in loops until asked to check what it serves; in `latency` mode it holds keys in
// memory on request and reports when each leaves it. The "database" is one Redis key per row (db:<id>),
// outside the tracked prefixes.
import Redis from 'ioredis';
import { defineKeyspace } from '../../src/keyspace';
import { createCache } from '../../src/sdk/create-cache';
import type { NearReaderConfig, NearReaderReply, NearReaderRequest } from './near-cache-readers';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
  profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'public.users' }] },
});
const ENTITIES = ['user', 'profile'] as const;
const send = (message: NearReaderReply) => process.send?.(message);
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const now = () => performance.timeOrigin + performance.now();

async function main(config: NearReaderConfig): Promise<void> {
  const db = new Redis(config.redisUrl);
  const cache = createCache({
    redis: config.redisUrl,
    keyspace,
    prefix: config.prefix,
    leaseWait: '2s',
    commandTimeout: '2s',
    nearCache: { maxEntries: 10_000, ttl: '1m' },
  });
  const near = cache.nearCache!;
  const row = async (id: number) => {
    const text = await db.get(`${config.dbPrefix}${id}`);
    return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
  };
  const load = (id: number) => () => row(id);
  while (!near.stats().up) await pause(10);
  if (config.mode === 'latency') {
    cache.events.on('near-invalidation', ({ keys }) => {
      const at = now();
      for (const key of keys ?? []) send({ type: 'evicted', key, at });
    });
  }
  let reading = config.mode === 'readers';
  const errors: string[] = [];
  const loops = Array.from({ length: config.concurrency }, async (_, loop) => {
    for (let i = loop; reading; i++) {
      const id = config.ids[(i * 7 + loop) % config.ids.length]!;
      try {
        await cache.get(ENTITIES[i % 2]!, { id }, load(id));
      } catch (error) {
        if (errors.length < 5) errors.push(String(error));
      }
      await pause(config.pauseMs);
    }
  });
  process.on('message', async (request: NearReaderRequest) => {
    if (request.type === 'ids') send({ type: 'ids', ids: await near.clientIds() });
    else if (request.type === 'arm') {
      // Hold the key in memory: read (fill Redis), let the fill's own invalidation pass, read again.
      const key = cache.keyOf('user', { id: request.id });
      for (let attempt = 0; attempt < 20; attempt++) {
        await cache.get('user', { id: request.id }, load(request.id));
        await near.sync();
        const hits = near.stats().hits;
        await cache.get('user', { id: request.id }, load(request.id));
        if (near.stats().hits > hits) break;
      }
      send({ type: 'armed', key });
    } else if (request.type === 'check') {
      reading = false;
      await Promise.all(loops);
      await near.sync();
      const stale: string[] = [];
      const hits = near.stats().hits;
      for (const id of config.ids) {
        for (const entity of ENTITIES) {
          const current = await row(id);
          const served = await cache.get(entity, { id }, async () => current);
          if (JSON.stringify(served) !== JSON.stringify(current)) {
            stale.push(`${entity} ${id}: served ${JSON.stringify(served)}, row ${JSON.stringify(current)}`);
          }
        }
      }
      send({ type: 'checked', stale, nearHits: near.stats().hits - hits, errors, stats: near.stats() });
    } else if (request.type === 'stop') {
      reading = false;
      await Promise.all(loops);
      await cache.close();
      db.disconnect();
      process.exit(0);
    }
  });
  send({ type: 'ready' });
}

process.once('message', (config: NearReaderConfig) => {
  main(config).catch((error) => {
    console.error(error);
    process.exit(1);
  });
});
