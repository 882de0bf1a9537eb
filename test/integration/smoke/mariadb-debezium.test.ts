import type { Connection } from 'mysql2/promise';
import { connectMariaDb } from '../../support/database-clients';
import { type DebeziumConnector, registerDebeziumConnector } from '../../support/debezium-connectors';
import { createTopicReader } from '../../support/kafka-topic-reader';
import { TEST_DATABASE } from '../../support/stack-endpoints';
import { uniqueName } from '../../support/unique-name';
import { debeziumChanges } from './debezium-events';

describe('smoke: MariaDB (row binlog) -> Debezium -> Kafka', () => {
  const table = uniqueName('smoke_maria');
  let maria: Connection;
  let connector: DebeziumConnector | undefined;

  beforeAll(async () => {
    maria = await connectMariaDb();
    await maria.query(
      `CREATE TABLE ${table} (id int PRIMARY KEY, email varchar(200) NOT NULL, visits int NOT NULL)`,
    );
    connector = await registerDebeziumConnector({ source: 'mariadb', tables: [table] });
  });

  afterAll(async () => {
    await connector?.delete();
    await maria?.query(`DROP TABLE IF EXISTS ${table}`);
    await maria?.end();
  });

  it('publishes an insert, an update and a delete as c, u and d events on <prefix>.<db>.<table>', async () => {
    // Prepare
    const topic = connector!.topicFor(table);
    expect(topic).toBe(`${connector!.name}.${TEST_DATABASE}.${table}`);
    const reader = await createTopicReader({ topics: topic });

    try {
      // Act
      await maria.query(`INSERT INTO ${table} (id, email, visits) VALUES (?, ?, ?)`, [
        7,
        'grace@example.com',
        0,
      ]);
      await maria.query(`UPDATE ${table} SET email = ?, visits = visits + 1 WHERE id = ?`, [
        'grace@example.org',
        7,
      ]);
      await maria.query(`DELETE FROM ${table} WHERE id = ?`, [7]);

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
        key: { id: 7 },
        before: null,
        after: { id: 7, email: 'grace@example.com', visits: 0 },
      });
      expect(updated).toMatchObject({
        key: { id: 7 },
        before: { id: 7, email: 'grace@example.com', visits: 0 },
        after: { id: 7, email: 'grace@example.org', visits: 1 },
      });
      expect(deleted).toMatchObject({
        key: { id: 7 },
        before: { id: 7, email: 'grace@example.org', visits: 1 },
        after: null,
      });
      expect(created!.source).toMatchObject({ connector: 'mariadb', db: TEST_DATABASE, table, server_id: 1 });
    } finally {
      await reader.close();
    }
  });
});
