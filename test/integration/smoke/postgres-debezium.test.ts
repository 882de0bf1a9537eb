import type { Client } from 'pg';
import { connectPostgres } from '../../support/database-clients';
import { type DebeziumConnector, registerDebeziumConnector } from '../../support/debezium-connectors';
import { createTopicReader } from '../../support/kafka-topic-reader';
import { uniqueName } from '../../support/unique-name';
import { debeziumChanges } from './debezium-events';

describe('smoke: PostgreSQL -> Debezium -> Kafka', () => {
  const table = uniqueName('smoke_pg');
  let pg: Client;
  let connector: DebeziumConnector | undefined;

  beforeAll(async () => {
    pg = await connectPostgres();
    await pg.query(`CREATE TABLE ${table} (id int PRIMARY KEY, email text NOT NULL, visits int NOT NULL)`);
    // FULL: updates and deletes carry the whole old row (the worker needs old keys, e.g. a changed email).
    await pg.query(`ALTER TABLE ${table} REPLICA IDENTITY FULL`);
    connector = await registerDebeziumConnector({ source: 'postgres', tables: [table] });
  });

  afterAll(async () => {
    await connector?.delete();
    await pg?.query(`DROP TABLE IF EXISTS ${table}`);
    await pg?.end();
  });

  it('publishes an insert, an update and a delete as c, u and d events on <prefix>.public.<table>', async () => {
    // Prepare
    const topic = connector!.topicFor(table);
    expect(topic).toBe(`${connector!.name}.public.${table}`);
    const reader = await createTopicReader({ topics: topic });

    try {
      // Act
      await pg.query(`INSERT INTO ${table} (id, email, visits) VALUES (1, 'ada@example.com', 0)`);
      await pg.query(`UPDATE ${table} SET email = 'ada@example.org', visits = 1 WHERE id = 1`);
      await pg.query(`DELETE FROM ${table} WHERE id = 1`);

      // Assess
      const messages = await reader.waitFor(
        (m) => debeziumChanges(m).length >= 3 && m.some((x) => x.value === null),
        {
          timeoutMs: 60_000,
          description: 'c, u, d events and the tombstone',
        },
      );
      const [created, updated, deleted] = debeziumChanges(messages);
      expect(debeziumChanges(messages).map((change) => change.op)).toEqual(['c', 'u', 'd']);
      expect(created).toMatchObject({
        key: { id: 1 },
        before: null,
        after: { id: 1, email: 'ada@example.com', visits: 0 },
      });
      expect(updated).toMatchObject({
        key: { id: 1 },
        before: { id: 1, email: 'ada@example.com', visits: 0 },
        after: { id: 1, email: 'ada@example.org', visits: 1 },
      });
      expect(deleted).toMatchObject({
        key: { id: 1 },
        before: { id: 1, email: 'ada@example.org', visits: 1 },
        after: null,
      });
      expect(created!.source).toMatchObject({
        connector: 'postgresql',
        db: 'cdc_cache_test',
        schema: 'public',
        table,
      });
      expect(Number(created!.source.lsn)).toBeLessThan(Number(updated!.source.lsn));
    } finally {
      await reader.close();
    }
  });
});
