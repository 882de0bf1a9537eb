// Replica acknowledgement (WAIT) against a real primary and a real replica: a primary SIGKILLed right after
// acknowledging, its replica promoted (REPLICAOF NO ONE), must not bring back a value the worker deleted.
//
// How the lost write is made deterministic: the replica is frozen (SIGSTOP) and the primary drops its
// replication link (CLIENT KILL TYPE replica) BEFORE the change is applied, so the primary accepts the
// delete while no replica can receive it, exactly the window asynchronous replication leaves open. With
// the replica frozen it cannot reconnect and fetch the write from the backlog before the primary dies.
// Without WAIT the engine acknowledges; with WAIT it refuses (retriable), so the change is delivered again.
import { tmpdir } from 'node:os';
import { Redis } from 'ioredis';
import { createInvalidationEngine } from '../../../src/core/create-invalidation-engine';
import { defineKeyspace } from '../../../src/keyspace';
import { type RedisProcess, startRedisProcess } from '../../support/redis-process';
import { pollUntil, userEvent } from './core-test-support';

const keyspace = defineKeyspace({
  user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
});
const FAST_RETRY = { retries: 2, initialDelayMs: 20, maxDelayMs: 50 };

interface Pair {
  readonly primary: RedisProcess;
  readonly replica: RedisProcess;
  readonly onPrimary: Redis;
  readonly onReplica: Redis;
}

async function startPair(): Promise<Pair> {
  // The full sync writes an RDB file: keep it out of the working directory.
  const primary = await startRedisProcess(['--dir', tmpdir()]);
  const replica = await startRedisProcess([
    '--dir',
    tmpdir(),
    '--replicaof',
    '127.0.0.1',
    String(primary.port),
  ]);
  const onPrimary = new Redis(primary.url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  const onReplica = new Redis(replica.url, { maxRetriesPerRequest: 1 });
  await pollUntil(
    async () => /connected_slaves:1/.test(await onPrimary.info('replication')),
    10_000,
    'the replica to connect',
  );
  // A cached value the change makes stale, on both servers.
  await onPrimary.set('user:42', 'stale');
  await pollUntil(async () => (await onReplica.get('user:42')) === 'stale', 10_000, 'the value to replicate');
  return { primary, replica, onPrimary, onReplica };
}

/** Cut the replica off the primary so that the primary's next writes reach no replica. */
async function isolateReplica({ replica, onPrimary }: Pair): Promise<void> {
  replica.freeze(true);
  await onPrimary.client('KILL', 'TYPE', 'replica');
  await pollUntil(
    async () => /connected_slaves:0/.test(await onPrimary.info('replication')),
    10_000,
    'the primary to drop its replica',
  );
}

/** Crash the primary and promote the replica, as a failover does. */
async function failOver({ primary, replica, onPrimary, onReplica }: Pair): Promise<void> {
  onPrimary.disconnect();
  await primary.kill();
  replica.freeze(false);
  await onReplica.replicaof('NO', 'ONE');
}

describe('replica acknowledgement (WAIT) and failover', () => {
  const pairs: Pair[] = [];
  afterEach(async () => {
    for (const pair of pairs.splice(0)) {
      pair.onPrimary.disconnect();
      pair.onReplica.disconnect();
      pair.replica.freeze(false);
      await pair.primary.kill();
      await pair.replica.kill();
    }
  });

  it('with WAIT on (the default where the primary has a replica), a promoted replica never serves the deleted value', async () => {
    // Prepare
    const pair = await startPair();
    pairs.push(pair);
    const engine = createInvalidationEngine({ keyspace, redis: pair.primary.url, retry: FAST_RETRY });
    // Act: acknowledged, then the primary dies at once and the replica takes over.
    const outcomes = await engine.apply([userEvent()]);
    await engine.close();
    await failOver(pair);
    // Assess
    expect(outcomes).toEqual([{ status: 'applied', actions: 1 }]);
    expect(await pair.onReplica.get('user:42')).toBeNull();
  });

  it('with WAIT on, a write no replica received is not acknowledged; the redelivery after failover deletes the value', async () => {
    // Prepare
    const pair = await startPair();
    pairs.push(pair);
    const engine = createInvalidationEngine({
      keyspace,
      redis: pair.primary.url,
      retry: FAST_RETRY,
      replicaAck: { replicas: 'auto', timeoutMs: 200 },
    });
    await engine.apply([userEvent({ key: { id: 7 }, after: { id: 7 }, before: null })]); // learns: 1 replica
    await isolateReplica(pair);
    // Act
    const refused = await engine.apply([userEvent()]).catch((error: unknown) => error);
    await engine.close();
    await failOver(pair);
    const stillStale = await pair.onReplica.get('user:42');
    // The offset was not committed, so the record comes again, now to the promoted replica.
    const redelivery = createInvalidationEngine({ keyspace, redis: pair.replica.url, retry: FAST_RETRY });
    const outcomes = await redelivery.apply([userEvent()]);
    await redelivery.close();
    // Assess
    expect(refused).toMatchObject({
      code: 'CDC_REDIS_UNAVAILABLE',
      retriable: true,
      details: { fault: 'replication' },
    });
    expect(stillStale).toBe('stale');
    expect(outcomes).toEqual([{ status: 'applied', actions: 1 }]);
    expect(await pair.onReplica.get('user:42')).toBeNull();
  });

  it('without WAIT, the same failover loses the acknowledged delete: the promoted replica serves the stale value', async () => {
    // Prepare
    const pair = await startPair();
    pairs.push(pair);
    const engine = createInvalidationEngine({
      keyspace,
      redis: pair.primary.url,
      retry: FAST_RETRY,
      replicaAck: { replicas: 'off' },
    });
    await isolateReplica(pair);
    // Act
    const outcomes = await engine.apply([userEvent()]);
    await engine.close();
    await failOver(pair);
    // Assess: acknowledged (the offset would be committed), yet the value the change made stale is back.
    expect(outcomes).toEqual([{ status: 'applied', actions: 1 }]);
    expect(await pair.onReplica.get('user:42')).toBe('stale');
  });
});
