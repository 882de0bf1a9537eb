// TLS and ACL roles for real: a redis-server on a TLS port only, with a certificate this test makes with
// openssl, whose default user is off and whose `reader` and `worker` users have the ACL rules the CDK app
// deploys (redisAclRules). Each role is checked both ways (what it may and may not do), the real SDK reads
// through it as the reader, the real DynamoDB worker CLI invalidates through it as the worker, and no line
// the worker writes holds either password.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { Redis } from 'ioredis';
import { createCache, keyspaceFromData } from '../../../src/index';
import { generationKey, internalKey, tagKey } from '../../../src/keyspace';
import { type RedisRole, redisAclRules } from '../../../src/redis/redis-acl-rules';
import { freePort } from '../../support/free-port';
import { uniqueName } from '../../support/unique-name';
import { waitFor } from '../../support/wait-for';
import { dynamodbStreamFixture } from '../dynamodb/dynamodb-stream-fixture';

jest.setTimeout(60_000);

const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-tls-'));
const prefix = `${uniqueName('tls')}:`;
// Characters a URL mask must handle; ACL passwords take anything but whitespace. The worker's is written
// into its URL as is ('@' and ':' keep the URL valid), as an operator might.
const passwords: Record<RedisRole, string> = {
  worker: `w@rk:er@${uniqueName('pw')}`,
  reader: `re@d/er:${uniqueName('pw')}%`,
};
const fixture = dynamodbStreamFixture();
let server: ChildProcess;
let port: number;
let ca: Buffer;
const clients: Redis[] = [];

/** A CA and a server certificate for 127.0.0.1, made with openssl. */
function makeCertificates(): void {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: directory, stdio: 'ignore' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=cdc-cache test CA',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=localhost',
  );
  writeFileSync(join(directory, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '1',
    '-extfile',
    'san.ext',
  );
}

/** A TLS connection as `role` (or with `options`), trusting the test CA. */
function connect(role: RedisRole): Redis {
  const client = new Redis({
    host: '127.0.0.1',
    port,
    username: role,
    password: passwords[role],
    tls: { ca },
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  makeCertificates();
  ca = readFileSync(join(directory, 'ca.pem'));
  port = await freePort();
  const users = (['worker', 'reader'] as const).flatMap((role) => [
    '--user',
    role,
    `>${passwords[role]}`,
    ...redisAclRules(role, prefix),
  ]);
  // biome-ignore format: one setting per line
  server = spawn('redis-server', [
    '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1',
    '--tls-cert-file', join(directory, 'server.pem'), '--tls-key-file', join(directory, 'server.key'),
    '--tls-ca-cert-file', join(directory, 'ca.pem'), '--tls-auth-clients', 'no',
    '--save', '', '--appendonly', 'no', '--user', 'default', 'off', ...users,
  ], { stdio: 'ignore' });
  await waitFor(
    async () => {
      const probe = connect('worker');
      try {
        await probe.connect();
        return (await probe.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        probe.disconnect();
      }
    },
    { description: 'the TLS redis-server answering' },
  );
});

afterAll(async () => {
  for (const client of clients) client.disconnect();
  await fixture.close();
  server?.kill('SIGTERM');
  if (server) await once(server, 'exit');
  rmSync(directory, { recursive: true, force: true });
});

/** 'ok', or the first word of the error Redis answered (NOPERM for an ACL refusal). */
async function attempt(action: () => Promise<unknown>): Promise<string> {
  try {
    await action();
    return 'ok';
  } catch (error) {
    return String((error as Error).message).split(' ')[0]!;
  }
}

describe('Redis over TLS with role ACL users', () => {
  it('refuses a client that does not trust the server certificate, and the disabled default user', async () => {
    // Prepare
    const untrusting = tls.connect({ host: '127.0.0.1', port });
    const anonymous = new Redis({
      host: '127.0.0.1',
      port,
      tls: { ca },
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableReadyCheck: false,
    });
    clients.push(anonymous);

    // Act, Assess
    const [refusal] = (await once(untrusting, 'error')) as [Error];
    expect(refusal.message).toMatch(/certificate/);
    expect(
      await attempt(async () => {
        await anonymous.connect();
        await anonymous.get(`${prefix}x`);
      }),
    ).toMatch(/NOAUTH|NOPERM|WRONGPASS/);
  });

  it('lets the worker use every key under the prefix, and nothing dangerous or outside it', async () => {
    // Prepare
    const worker = connect('worker');
    await worker.connect();
    const table = 'T';

    // Act, Assess: may
    expect(await attempt(() => worker.set(`${prefix}user:1`, 'v'))).toBe('ok');
    expect(await attempt(() => worker.incr(generationKey(prefix, 'user')))).toBe('ok');
    expect(await attempt(() => worker.sadd(tagKey(prefix, 'tenant:1'), `${prefix}user:1`))).toBe('ok');
    expect(await attempt(() => worker.hset(internalKey(prefix, 'ckpt', table, 's1'), 'seq', '1'))).toBe('ok');
    expect(await attempt(() => worker.xadd(internalKey(prefix, 'dlq', table), '*', 'record', '{}'))).toBe(
      'ok',
    );
    expect(await attempt(() => worker.xrange(internalKey(prefix, 'dlq', table), '-', '+'))).toBe('ok');
    // may not
    expect(await attempt(() => worker.set('another-app:key', 'v'))).toBe('NOPERM');
    expect(await attempt(() => worker.flushall())).toBe('NOPERM');
    expect(await attempt(() => worker.keys('*'))).toBe('NOPERM');
  });

  it('lets a reader use entries, tag sets and read generations, never write the worker keys or read dead letters', async () => {
    // Prepare
    const reader = connect('reader');
    await reader.connect();
    const table = 'T';

    // Act, Assess: may (what the SDK protocol needs)
    expect(await attempt(() => reader.set(`${prefix}user:2`, 'v', 'PX', 60_000))).toBe('ok');
    expect(await attempt(() => reader.get(`${prefix}user:2`))).toBe('ok');
    expect(await attempt(() => reader.set(`${prefix}_x`, 'v'))).toBe('ok');
    expect(await attempt(() => reader.sadd(tagKey(prefix, 'tenant:1'), `${prefix}user:2`))).toBe('ok');
    expect(await attempt(() => reader.spop(tagKey(prefix, 'tenant:1')))).toBe('ok');
    expect(await attempt(() => reader.get(generationKey(prefix, 'user')))).toBe('ok');
    // may not
    expect(await attempt(() => reader.xrange(internalKey(prefix, 'dlq', table), '-', '+'))).toBe('NOPERM');
    expect(await attempt(() => reader.hgetall(internalKey(prefix, 'ckpt', table, 's1')))).toBe('NOPERM');
    expect(await attempt(() => reader.hset(internalKey(prefix, 'ckpt', table, 's1'), 'owner', 'me'))).toBe(
      'NOPERM',
    );
    expect(await attempt(() => reader.set(`${prefix}_cc:truncated:x`, '1'))).toBe('NOPERM');
    expect(await attempt(() => reader.set('another-app:key', 'v'))).toBe('NOPERM');
    expect(await attempt(() => reader.flushall())).toBe('NOPERM');
  });

  it('serves the SDK as the reader and the real worker CLI as the worker; no log line holds a password', async () => {
    // Prepare: the table, its keyspace, and a value the SDK caches through TLS as the reader
    const table = await fixture.createTable('tls');
    const data = {
      entities: {
        product: {
          key: 'product:{sku}',
          ttl: '5m',
          tags: ['all-products'],
          sources: [{ dynamodb: table, fields: { sku: 'pk' } }],
        },
      },
    };
    const keyspacePath = join(directory, 'keyspace.json');
    writeFileSync(keyspacePath, JSON.stringify(data));
    const reader = connect('reader');
    // With a near cache: the reader's ACL lets it turn tracking on and subscribe to the invalidations.
    const cache = createCache({
      redis: reader,
      keyspace: keyspaceFromData(data),
      prefix,
      nearCache: { maxEntries: 10 },
    });
    await waitFor(() => cache.nearCache!.stats().up, { description: 'the near cache up as the reader' });
    await fixture.put(table, { pk: 'P1', price: 1 });
    expect(await cache.get('product', { sku: 'P1' }, async () => ({ sku: 'P1', price: 1 }))).toEqual({
      sku: 'P1',
      price: 1,
    });
    expect(await cache.peek('product', { sku: 'P1' })).toBeDefined();
    await cache.nearCache!.sync();
    await cache.get('product', { sku: 'P1' }, async () => ({ sku: 'P1', price: 1 }));
    expect(cache.nearCache!.stats().entries).toBe(1);

    // Act: the worker CLI, through rediss:// as the worker user (password in the URL and in its option)
    const output: string[] = [];
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'worker',
        'dynamodb',
        '--table',
        table,
        '--idle-ms',
        '50',
        '--discovery-ms',
        '300',
        '--http-port',
        '0',
      ],
      {
        env: {
          ...process.env,
          ...fixture.childEnv,
          NODE_EXTRA_CA_CERTS: join(directory, 'ca.pem'),
          CDC_CACHE_KEYSPACE: keyspacePath,
          CDC_CACHE_REDIS_URL: `rediss://worker:${passwords.worker}@127.0.0.1:${port}`,
          CDC_CACHE_REDIS_USERNAME: 'worker',
          CDC_CACHE_REDIS_PASSWORD: passwords.worker,
          CDC_CACHE_KEY_PREFIX: prefix,
          CDC_CACHE_LOG_LEVEL: 'debug',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    child.stdout!.on('data', (chunk) => output.push(String(chunk)));
    child.stderr!.on('data', (chunk) => output.push(String(chunk)));
    try {
      await waitFor(async () => (await cache.peek('product', { sku: 'P1' })) === undefined, {
        description: 'P1 invalidated by the worker over TLS',
        timeoutMs: 30_000,
      });
      await cache.nearCache!.sync();
      expect(cache.nearCache!.stats().entries).toBe(0);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }

    // Assess: every line the worker wrote, including its startup configuration, holds neither password
    const lines = output
      .join('')
      .split('\n')
      .filter((line) => line.trim() !== '');
    for (const line of lines) {
      for (const password of Object.values(passwords)) {
        expect(line).not.toContain(password);
        expect(line).not.toContain(encodeURIComponent(password));
        for (const piece of password.split(/[@/:#?%]/))
          if (piece.length >= 3) expect(line).not.toContain(piece);
      }
    }
    expect(lines.some((line) => /"redisPassword":"(\*\*\*|\[redacted\])"/.test(line))).toBe(true);
    expect(lines.some((line) => line.includes(`rediss://***@127.0.0.1:${port}`))).toBe(true);
  });
});
