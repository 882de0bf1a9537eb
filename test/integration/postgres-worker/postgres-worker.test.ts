import { Redis } from 'ioredis';
import { createCache, keyspaceFromData } from '../../../src/index';
import { stackEndpoints } from '../../support/stack-endpoints';
import { waitFor } from '../../support/wait-for';
import { postgresWorkerFixture } from './postgres-worker-fixture';

const redis = new Redis(stackEndpoints().redis.url);
afterAll(() => redis.quit());

const usersKeyspace = (table: string) => ({
  entities: {
    user: { key: 'user:{id}', ttl: '5m', sources: [{ table }] },
    userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table }] },
    profile: {
      key: 'profile:{id}',
      ttl: '5m',
      mode: 'refresh',
      fields: ['id', 'email'],
      sources: [{ table }],
    },
  },
});

describe('cdc-cache worker postgres', () => {
  test('insert, update with a secondary key change, delete and truncate invalidate the right keys; refresh writes the new row', async () => {
    // Prepare
    const fixture = await postgresWorkerFixture('users', usersKeyspace);
    let workerOutput = () => '';
    try {
      const { pg, table } = fixture;
      await pg.query(`CREATE TABLE ${table} (id bigint PRIMARY KEY, email text NOT NULL, name text)`);
      await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
      const cache = createCache({
        redis,
        keyspace: keyspaceFromData(fixture.keyspaceData),
        prefix: fixture.prefix,
      });
      const fill = (entity: 'user' | 'userByEmail' | 'profile', params: Record<string, string | number>) =>
        cache.get(entity, params, async () => ({ stale: true }));
      const cached = async (
        entity: 'user' | 'userByEmail' | 'profile',
        params: Record<string, string | number>,
      ) => cache.peek(entity, params);
      const worker = fixture.startWorker();
      workerOutput = worker.output;
      await worker.waitForLog('streaming from the replication slot');

      // Act + Assess: an insert drops cached "not found" entries of the new row
      await fill('user', { id: 1 });
      await fill('userByEmail', { email: 'a@example.com' });
      await pg.query(`INSERT INTO ${table} (id, email) VALUES (1, 'a@example.com')`);
      await waitFor(async () => (await cached('user', { id: 1 })) === undefined, {
        description: 'user:1 invalidated by the insert',
      });
      await waitFor(async () => (await cached('userByEmail', { email: 'a@example.com' })) === undefined, {
        description: 'user-by-email:a@example.com invalidated by the insert',
      });

      // An email change drops the OLD secondary key and the new one; refresh writes the new image
      await fill('user', { id: 1 });
      await fill('userByEmail', { email: 'a@example.com' });
      await fill('userByEmail', { email: 'b@example.com' });
      await pg.query(`UPDATE ${table} SET email = 'b@example.com' WHERE id = 1`);
      await waitFor(
        async () =>
          (await cached('user', { id: 1 })) === undefined &&
          (await cached('userByEmail', { email: 'a@example.com' })) === undefined &&
          (await cached('userByEmail', { email: 'b@example.com' })) === undefined,
        { description: 'user:1 and both email keys invalidated by the update' },
      );
      await waitFor(
        async () => {
          const profile = (await cached('profile', { id: 1 })) as { email?: string } | undefined;
          return profile?.email === 'b@example.com';
        },
        { description: 'profile:1 refreshed with the new email' },
      );

      // A delete drops both keys of the row
      await fill('user', { id: 1 });
      await fill('userByEmail', { email: 'b@example.com' });
      await pg.query(`DELETE FROM ${table} WHERE id = 1`);
      await waitFor(
        async () =>
          (await cached('user', { id: 1 })) === undefined &&
          (await cached('userByEmail', { email: 'b@example.com' })) === undefined,
        { description: 'keys invalidated by the delete' },
      );
      expect(await cached('profile', { id: 1 })).toBeUndefined();

      // A truncate drops every entry of the table's entities
      await pg.query(`INSERT INTO ${table} (id, email) VALUES (2, 'c@example.com'), (3, 'd@example.com')`);
      await waitFor(async () => (await cached('profile', { id: 3 })) !== undefined, {
        description: 'inserts applied',
      });
      await fill('user', { id: 2 });
      await fill('user', { id: 3 });
      await fill('userByEmail', { email: 'c@example.com' });
      await pg.query(`TRUNCATE ${table}`);
      await waitFor(
        async () =>
          (await cached('user', { id: 2 })) === undefined &&
          (await cached('user', { id: 3 })) === undefined &&
          (await cached('userByEmail', { email: 'c@example.com' })) === undefined &&
          (await cached('profile', { id: 3 })) === undefined,
        { description: 'every entry invalidated by the truncate' },
      );

      // Everything applied was acknowledged to the server
      const committed = await fixture.currentLsn();
      await waitFor(async () => (await fixture.confirmedFlush()) >= committed || undefined, {
        description: 'the slot confirmed past the last commit',
      });
    } catch (error) {
      console.log(workerOutput());
      throw error;
    } finally {
      await fixture.cleanup();
    }
  });

  test('a table whose keys read columns outside its replica identity is reported at start, with the fix', async () => {
    // Prepare
    const fixture = await postgresWorkerFixture('noident', usersKeyspace);
    try {
      await fixture.pg.query(
        `CREATE TABLE ${fixture.table} (id bigint PRIMARY KEY, email text NOT NULL, name text)`,
      );

      // Act
      const worker = fixture.startWorker();
      const code = await worker.exited;

      // Assess
      expect(code).toBe(2);
      expect(worker.output()).toContain(`keys use email, outside its replica identity (id)`);
      expect(worker.output()).toContain(
        `ALTER TABLE \\"public\\".\\"${fixture.table}\\" REPLICA IDENTITY FULL`,
      );
      const slots = await fixture.pg.query('SELECT 1 FROM pg_replication_slots WHERE slot_name = $1', [
        fixture.slot,
      ]);
      expect(slots.rows).toHaveLength(0);
    } finally {
      await fixture.cleanup();
    }
  });
});
