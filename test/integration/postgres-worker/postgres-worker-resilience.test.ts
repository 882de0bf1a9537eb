import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { createCache, keyspaceFromData } from '../../../src/index';
import { freePort } from '../../support/free-port';
import { waitFor } from '../../support/wait-for';
import { postgresWorkerFixture } from './postgres-worker-fixture';

const usersKeyspace = (table: string) => ({
  entities: {
    user: { key: 'user:{id}', ttl: '5m', sources: [{ table }] },
    userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table }] },
  },
});

/** A redis-server that keeps its data across a stop and start (append-only file), so stale entries survive an outage. */
async function startDurableRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'cdc-cache-redis-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'always',
        '--save',
        '',
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    await waitFor(
      () =>
        probe
          .connect()
          .then(() => probe.ping())
          .catch(() => undefined),
      { description: `redis-server on ${port}` },
    );
    probe.disconnect();
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = once(running, 'exit');
    running.kill('SIGTERM');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, start, stop };
}

describe('cdc-cache worker postgres: failures', () => {
  test('Redis stopped mid-stream, the worker SIGKILLed while paused, then Redis stopped again: nothing is lost', async () => {
    // Prepare
    const redisServer = await startDurableRedis();
    const fixture = await postgresWorkerFixture('outage', usersKeyspace);
    const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    try {
      const { pg, table } = fixture;
      await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL)`);
      await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      const cache = createCache({
        redis,
        keyspace: keyspaceFromData(fixture.keyspaceData),
        prefix: fixture.prefix,
        // These cases test the worker; the SDK's 250 ms default failed reads on a loaded CI machine.
        commandTimeout: '5s',
      });
      const ids = [1, 2, 3, 4, 5];
      const fillAll = async (email: (id: number) => string) => {
        for (const id of ids) {
          await cache.get('user', { id }, async () => ({ stale: true }));
          await cache.get('userByEmail', { email: email(id) }, async () => ({ stale: true }));
        }
      };
      const allGone = async (email: (id: number) => string) => {
        for (const id of ids) {
          if ((await cache.peek('user', { id })) !== undefined) return false;
          if ((await cache.peek('userByEmail', { email: email(id) })) !== undefined) return false;
        }
        return true;
      };
      const first = fixture.startWorker({ redisUrl: redisServer.url });
      await first.waitForLog('streaming from the replication slot');
      for (const id of ids)
        await pg.query(`INSERT INTO ${table} VALUES ($1, $2)`, [id, `v1-${id}@example.com`]);
      const inserted = await fixture.currentLsn();
      await waitFor(async () => (await fixture.confirmedFlush()) >= inserted || undefined, {
        description: 'inserts acknowledged',
      });
      await fillAll((id) => `v1-${id}@example.com`);

      // Act 1: Redis goes down; the changes arrive; the worker is killed before Redis comes back
      await redisServer.stop();
      for (const id of ids)
        await pg.query(`UPDATE ${table} SET email = $2 WHERE id = $1`, [id, `v2-${id}@example.com`]);
      const updated = await fixture.currentLsn();
      await first.waitForLog('Redis unavailable, paused');
      // Assess 1: nothing the worker could not apply was acknowledged
      expect(await fixture.confirmedFlush()).toBeLessThan(updated);
      first.child.kill('SIGKILL');
      await first.exited;
      await redisServer.start();
      expect(await cache.peek('user', { id: 1 })).toEqual({ stale: true });

      // Act 2: a new worker replays from the slot
      const second = fixture.startWorker({ redisUrl: redisServer.url });
      // Assess 2: both the id keys and the OLD email keys are gone
      await waitFor(() => allGone((id) => `v1-${id}@example.com`), {
        description: 'every stale key invalidated after the restart',
        timeoutMs: 60_000,
      });
      await waitFor(async () => (await fixture.confirmedFlush()) >= updated || undefined, {
        description: 'updates acknowledged',
      });

      // Act 3: Redis stops again while the same worker runs; it pauses, keeps the position and resumes
      await fillAll((id) => `v2-${id}@example.com`);
      await redisServer.stop();
      for (const id of ids)
        await pg.query(`UPDATE ${table} SET email = $2 WHERE id = $1`, [id, `v3-${id}@example.com`]);
      const again = await fixture.currentLsn();
      await waitFor(() => second.output().split('Redis unavailable, paused').length > 1, {
        description: 'second worker paused',
      });
      expect(await fixture.confirmedFlush()).toBeLessThan(again);
      await redisServer.start();
      // Assess 3
      await waitFor(() => allGone((id) => `v2-${id}@example.com`), {
        description: 'every stale key invalidated after Redis came back',
        timeoutMs: 60_000,
      });
      await waitFor(async () => (await fixture.confirmedFlush()) >= again || undefined, {
        description: 'acknowledged after recovery',
      });
      expect(second.output()).toContain('Redis is back, resuming');
    } finally {
      redis.disconnect();
      await fixture.cleanup();
      await redisServer.stop();
    }
  });

  test('two workers on one slot: one streams, the other stands by and takes over when the first is killed', async () => {
    // Prepare
    const fixture = await postgresWorkerFixture('takeover', usersKeyspace);
    const redis = new Redis();
    try {
      const { pg, table } = fixture;
      await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL)`);
      await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      const cache = createCache({
        redis,
        keyspace: keyspaceFromData(fixture.keyspaceData),
        prefix: fixture.prefix,
        // These cases test the worker; the SDK's 250 ms default failed reads on a loaded CI machine.
        commandTimeout: '5s',
      });
      const first = fixture.startWorker();
      await first.waitForLog('streaming from the replication slot');
      const second = fixture.startWorker();
      await second.waitForLog('standing by to take over');
      await cache.get('user', { id: 1 }, async () => ({ stale: true }));
      await pg.query(`INSERT INTO ${table} VALUES (1, 'a@example.com')`);
      await waitFor(async () => (await cache.peek('user', { id: 1 })) === undefined, {
        description: 'first worker applies',
      });
      expect(second.output()).not.toContain('streaming from the replication slot');

      // Act: kill the streaming worker, change rows meanwhile
      await cache.get('user', { id: 1 }, async () => ({ stale: true }));
      await cache.get('userByEmail', { email: 'a@example.com' }, async () => ({ stale: true }));
      first.child.kill('SIGKILL');
      await pg.query(`UPDATE ${table} SET email = 'b@example.com' WHERE id = 1`);

      // Assess: the standby takes the slot and applies the change made while nobody streamed
      await second.waitForLog('streaming from the replication slot');
      await waitFor(
        async () =>
          (await cache.peek('user', { id: 1 })) === undefined &&
          (await cache.peek('userByEmail', { email: 'a@example.com' })) === undefined,
        { description: 'the standby applied the change' },
      );
    } finally {
      redis.disconnect();
      await fixture.cleanup();
    }
  });
});
