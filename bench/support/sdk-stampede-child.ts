// A child process of runStampede (sdk-stampede.ts): N concurrent misses of one key, through cdc-cache or
// through naive cache-aside. The loader counts its calls with INCR on a key of the run.
import Redis from 'ioredis';
import { defineKeyspace } from '../../src/keyspace';
import { createCache } from '../../src/sdk/create-cache';
import { REDIS_CLIENTS } from './redis-clients';
import type { StampedeChildConfig, StampedeChildMessage } from './sdk-stampede';

const send = (message: StampedeChildMessage) => process.send?.(message);

async function main(config: StampedeChildConfig): Promise<void> {
  const redis = new Redis(config.redisUrl);
  // The cache reads through the chosen client library; `redis` (ioredis) counts the loader's calls.
  const factory = REDIS_CLIENTS.find((candidate) => candidate.name === config.client);
  const url = new URL(config.redisUrl);
  const opened = factory
    ? await factory.open({
        nodes: [{ host: url.hostname, port: Number(url.port || 6379) }],
        cluster: false,
        resp: factory.resp3 ? 3 : 2,
      })
    : undefined;
  const keyspace = defineKeyspace({
    hot: { key: 'hot:{id}', ttl: '5m', sources: [{ table: 'public.hot' }] },
  });
  const cache = createCache({
    redis: (opened?.client as object | undefined) ?? redis,
    keyspace,
    prefix: config.prefix,
    leaseWait: '10s',
    commandTimeout: '2s',
  });
  const loader = async () => {
    const call = await redis.incr(config.counterKey);
    await new Promise((resolve) => setTimeout(resolve, config.loaderDelayMs));
    return { loadedBy: `${process.pid}#${call}` };
  };
  const naiveKey = `${config.prefix}naive:hot`;
  const naiveGet = async () => {
    const cached = await redis.get(naiveKey);
    if (cached) return JSON.parse(cached) as { loadedBy: string };
    const value = await loader();
    await redis.setex(naiveKey, 300, JSON.stringify(value));
    return value;
  };
  send({ type: 'ready' });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));
  const started = Date.now();
  const results = await Promise.allSettled(
    Array.from({ length: config.concurrency }, () =>
      config.mode === 'naive' ? naiveGet() : cache.get('hot', { id: 1 }, loader),
    ),
  );
  const values = new Set<string>();
  const errors: string[] = [];
  for (const result of results) {
    if (result.status === 'fulfilled') values.add(result.value?.loadedBy ?? 'null');
    else errors.push(String(result.reason));
  }
  send({ type: 'done', values: [...values], errors, durationMs: Date.now() - started });
  await cache.close();
  await redis.quit();
  await opened?.close();
}

process.once('message', (config: StampedeChildConfig) => {
  main(config).then(
    () => process.exit(0),
    (error) => {
      send({ type: 'done', values: [], errors: [String(error)], durationMs: 0 });
      process.exit(1);
    },
  );
});
