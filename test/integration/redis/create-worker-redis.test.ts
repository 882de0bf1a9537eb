// The Redis client of the workers and Lambda handlers, for each library of CDC_CACHE_REDIS_CLIENT: the chosen
// library on standalone and on the stack's Cluster, and commands that fail (not queue) while Redis is down.
import { redisFault } from '../../../src/core/retry';
import { createWorkerRedis, type WorkerRedis } from '../../../src/runtimes/shared/create-worker-redis';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';

const libraries = ['ioredis', 'node-redis', 'glide'] as const;
const endpoints = stackEndpoints();
const seed = endpoints.redisCluster.nodes[0]!;
const opened: WorkerRedis[] = [];
let server: RedisProcess;

jest.setTimeout(60_000);

beforeAll(async () => {
  server = await startRedisProcess();
});

afterEach(async () => {
  for (const redis of opened.splice(0)) await redis.close();
});

afterAll(async () => {
  await server.stop();
});

async function open(library: (typeof libraries)[number], redisUrl: string, redisCluster: boolean) {
  const redis = await createWorkerRedis({
    redisUrl,
    redisCluster,
    redisClient: library,
    redisCommandTimeoutMs: 1_000,
  });
  opened.push(redis);
  return redis;
}

describe.each(libraries)('createWorkerRedis with %s', (library) => {
  it.each([
    ['standalone', endpoints.redis.url, false],
    ['Cluster', `redis://${seed.host}:${seed.port}`, true],
  ])('opens that library on %s', async (_mode, url, cluster) => {
    // Act
    const redis = await open(library, url as string, cluster as boolean);
    const key = `{${uniqueName('wr')}}:k`;
    await redis.port.command(['SET', key, library, 'PX', '60000']);

    // Assert
    expect(redis.port.kind).toBe(library);
    expect(redis.port.cluster).toBe(cluster);
    expect(await redis.port.command(['GET', key])).toBe(library);
  });

  it('fails a command while Redis is down (a connection fault), and works again once it is back', async () => {
    // Prepare
    await server.start();
    const redis = await open(library, server.url, false);
    expect(await redis.port.command(['PING'])).toBe('PONG');

    // Act
    await server.stop();
    const failure = await redis.port.command(['PING']).then(
      () => undefined,
      (error: unknown) => error,
    );
    await server.start();

    // Assert: a fault the worker pauses on, and the client reconnects on its own
    expect(redisFault(failure)).toBe('connection');
    await waitFor(async () => (await redis.port.command(['PING']).catch(() => undefined)) === 'PONG', {
      description: `${library} reconnected`,
      timeoutMs: 20_000,
    });
  });
});
