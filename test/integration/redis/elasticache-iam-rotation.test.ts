// ElastiCache IAM token rotation without AWS: a private redis-server whose ACL user has, as its password,
// a token our signer produced (fixed credentials, a clock the test moves). Each client library connects
// with the token; then the user's password becomes a newer token and the user's connections are killed,
// as ElastiCache does when it drops an IAM connection, and each client must reconnect with a fresh token,
// without a restart. A client that kept its first token (a static password) cannot come back.
import { GlideClient } from '@valkey/valkey-glide';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { createClient as createClient5 } from 'redis5';
import type { PortDriver } from '../../../src/redis/adapters/port-driver';
import { createRedisPort } from '../../../src/redis/create-redis-port';
import { elasticacheIamAuth } from '../../../src/redis/iam/elasticache-iam-auth';
import { openGlide } from '../../../src/runtimes/shared/worker-redis/open-glide';
import { openIoredis } from '../../../src/runtimes/shared/worker-redis/open-ioredis';
import { openNodeRedis } from '../../../src/runtimes/shared/worker-redis/open-node-redis';
import type { WorkerRedisTarget } from '../../../src/runtimes/shared/worker-redis/worker-redis-target';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { stackEndpoints } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';

jest.setTimeout(60_000);

const USER = 'cdc-cache-iam';
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret/example+key' };
let server: RedisProcess;
let admin: Redis;
let clock: Date;
/** Tokens signed at the current clock: the refreshers' work since the last rotation. */
let signedSinceRotation = 0;
const cleanups: (() => Promise<unknown> | unknown)[] = [];

/** Signs like the runtimes, with fixed credentials and the test's clock; refreshes every 50 ms. */
const iamAuth = () =>
  elasticacheIamAuth({
    cacheName: 'my-cache',
    userId: USER,
    region: 'eu-west-1',
    serverless: true,
    credentials,
    now: () => {
      signedSinceRotation += 1;
      return clock;
    },
    refreshIntervalMs: 50,
  });

/** The user's password becomes the token signed at the next second: what the client must now present. */
async function rotate(): Promise<string> {
  clock = new Date(clock.getTime() + 60_000);
  const token = await iamAuth().token();
  await admin.call('ACL', 'SETUSER', USER, 'resetpass', `>${token}`);
  signedSinceRotation = 0;
  return token;
}

/** ioredis and GLIDE hold one password: wait for refreshes (every 50 ms here) to hand them the new token. */
async function refreshed(): Promise<void> {
  await waitFor(() => signedSinceRotation >= 3, { description: 'tokens signed after the rotation' });
}

async function killUserConnections(): Promise<void> {
  await admin.call('CLIENT', 'KILL', 'USER', USER);
}

const target = (library: WorkerRedisTarget['library']): WorkerRedisTarget => ({
  library,
  url: server.url,
  host: '127.0.0.1',
  port: server.port,
  tls: false,
  cluster: false,
  username: USER,
  password: undefined,
  iam: { username: USER, cacheName: 'my-cache', region: 'eu-west-1', serverless: true },
  commandTimeoutMs: 2_000,
  connectTimeoutMs: 2_000,
});

beforeAll(async () => {
  server = await startRedisProcess();
  admin = new Redis(server.url);
});

beforeEach(async () => {
  clock = new Date('2026-11-29T01:00:00Z');
  const token = await iamAuth().token();
  await admin.call('ACL', 'SETUSER', USER, 'reset', 'on', `>${token}`, '~*', '&*', '+@all');
});

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

afterAll(async () => {
  admin.disconnect();
  await server.stop();
});

async function whoami(send: () => Promise<unknown>): Promise<unknown> {
  return waitFor(async () => (await send().catch(() => undefined)) ?? undefined, {
    description: 'the client authenticated again',
    timeoutMs: 20_000,
  });
}

describe('the workers and Lambda handlers with CDC_CACHE_REDIS_AUTH=iam', () => {
  const openers: [string, (target: WorkerRedisTarget) => Promise<PortDriver>][] = [
    ['ioredis', (t) => openIoredis(t, iamAuth())],
    ['node-redis', (t) => openNodeRedis(t, iamAuth())],
    ['glide (Serverless: tokens signed by cdc-cache)', (t) => openGlide(t, iamAuth())],
  ];

  it.each(openers)('%s connects with a signed token and reconnects with a fresh one', async (name, open) => {
    // Prepare
    const library = name.split(' ')[0] as WorkerRedisTarget['library'];
    const driver = await open(target(library));
    cleanups.push(() => driver.close());
    const port = createRedisPort(driver, false);
    expect(await port.command(['ACL', 'WHOAMI'])).toBe(USER);

    // Act: the first token is no longer accepted; ElastiCache-like, the connections are dropped
    await rotate();
    if (library !== 'node-redis') await refreshed();
    await killUserConnections();

    // Assert
    expect(await whoami(() => port.command(['ACL', 'WHOAMI']))).toBe(USER);
  });
});

describe('elasticacheIamAuth for read services', () => {
  // Both majors take the same options; one signature for the test.
  const asSix = (create: typeof createClient5) => create as unknown as typeof createClient;
  it.each([
    ['node-redis 6', createClient],
    ['node-redis 5', asSix(createClient5)],
  ] as const)('%s: the credentials provider signs a token for every connection', async (_name, create) => {
    // Prepare
    const auth = iamAuth();
    const client = create({
      socket: { host: '127.0.0.1', port: server.port, reconnectStrategy: () => 50 },
      credentialsProvider: auth.credentialsProvider,
    });
    client.on('error', () => undefined);
    await client.connect();
    cleanups.push(() => client.destroy());
    expect(await client.sendCommand(['ACL', 'WHOAMI'])).toBe(USER);

    // Act
    await rotate();
    await killUserConnections();

    // Assert
    expect(await whoami(() => client.sendCommand(['ACL', 'WHOAMI']))).toBe(USER);
  });

  it('ioredis: keepPasswordFresh gives the client a fresh token before it reconnects', async () => {
    // Prepare
    const auth = iamAuth();
    const client = new Redis({ port: server.port, username: auth.username, password: await auth.token() });
    client.on('error', () => undefined);
    const refresher = auth.keepPasswordFresh(client);
    cleanups.push(
      () => client.disconnect(),
      () => refresher.stop(),
    );
    expect(await client.call('ACL', 'WHOAMI')).toBe(USER);

    // Act
    const token = await rotate();
    await waitFor(() => client.options.password === token, { description: 'token refreshed' });
    await killUserConnections();

    // Assert
    expect(await whoami(() => client.call('ACL', 'WHOAMI'))).toBe(USER);
  });

  it('GLIDE: keepPasswordFresh updates the password GLIDE reconnects with', async () => {
    // Prepare
    const auth = iamAuth();
    const client = await GlideClient.createClient({
      addresses: [{ host: '127.0.0.1', port: server.port }],
      credentials: { username: auth.username, password: await auth.token() },
    });
    const refresher = auth.keepPasswordFresh(client);
    cleanups.push(
      () => client.close(),
      () => refresher.stop(),
    );
    expect(await client.customCommand(['ACL', 'WHOAMI'])).toBe(USER);

    // Act
    await rotate();
    await refreshed();
    await killUserConnections();

    // Assert
    expect(await whoami(() => client.customCommand(['ACL', 'WHOAMI']))).toBe(USER);
  });

  it('a client that keeps its first token (a static password) is refused after the rotation', async () => {
    // Prepare
    const client = new Redis({ port: server.port, username: USER, password: await iamAuth().token() });
    const refusals: Error[] = [];
    client.on('error', (error: Error) => refusals.push(error));
    cleanups.push(() => client.disconnect());
    expect(await client.call('ACL', 'WHOAMI')).toBe(USER);

    // Act
    await rotate();
    await killUserConnections();

    // Assert
    await waitFor(() => refusals.some((error) => /WRONGPASS/.test(error.message)), {
      description: 'WRONGPASS on reconnection',
    });
  });
});

// On the stack's Redis Cluster: ACL users are per node, so a unique user is created on every node (and
// deleted at the end), and ioredis must refresh the password of every node it holds.
describe('on Redis Cluster', () => {
  const CLUSTER_USER = uniqueName('iam-user');
  const nodes = stackEndpoints().redisCluster.nodes.map((node) => new Redis(node.port, node.host));
  const clusterAuth = () =>
    elasticacheIamAuth({
      cacheName: 'my-cache',
      userId: CLUSTER_USER,
      region: 'eu-west-1',
      serverless: true,
      credentials,
      now: () => {
        signedSinceRotation += 1;
        return clock;
      },
      refreshIntervalMs: 50,
    });
  const onEveryNode = (...args: string[]) =>
    Promise.all(nodes.map((node) => node.call(...(args as [string]))));

  beforeEach(async () => {
    const token = await clusterAuth().token();
    await onEveryNode('ACL', 'SETUSER', CLUSTER_USER, 'reset', 'on', `>${token}`, '~*', '&*', '+@all');
  });

  afterAll(async () => {
    await onEveryNode('ACL', 'DELUSER', CLUSTER_USER);
    for (const node of nodes) node.disconnect();
  });

  const openers: [string, (target: WorkerRedisTarget) => Promise<PortDriver>][] = [
    ['ioredis', (t) => openIoredis(t, clusterAuth())],
    ['node-redis', (t) => openNodeRedis(t, clusterAuth())],
    ['glide', (t) => openGlide(t, clusterAuth())],
  ];

  it.each(openers)('%s reconnects every node with a fresh token', async (library, open) => {
    // Prepare
    const seed = stackEndpoints().redisCluster.nodes[0]!;
    const driver = await open({
      ...target(library as WorkerRedisTarget['library']),
      url: `redis://${seed.host}:${seed.port}`,
      host: seed.host,
      port: seed.port,
      cluster: true,
      username: CLUSTER_USER,
      iam: { username: CLUSTER_USER, cacheName: 'my-cache', region: 'eu-west-1', serverless: true },
    });
    cleanups.push(() => driver.close());
    const port = createRedisPort(driver, false);
    const keys = Array.from({ length: 8 }, (_, index) => `{${uniqueName('iam')}-${index}}`);
    // A write to keys of many slots: a connection to every primary.
    const writeAll = async () => {
      for (const key of keys) await port.command(['SET', key, library, 'PX', '60000']);
      return true;
    };
    await writeAll();

    // Act
    clock = new Date(clock.getTime() + 60_000);
    const token = await clusterAuth().token();
    await onEveryNode('ACL', 'SETUSER', CLUSTER_USER, 'resetpass', `>${token}`);
    signedSinceRotation = 0;
    if (library !== 'node-redis') await refreshed();
    await onEveryNode('CLIENT', 'KILL', 'USER', CLUSTER_USER);

    // Assert
    expect(await whoami(() => writeAll())).toBe(true);
  });
});
