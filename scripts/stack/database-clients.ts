import { type Connection, createConnection } from 'mysql2/promise';
import { Client } from 'pg';
import { type StackEndpoints, stackEndpoints } from './stack-endpoints';

/**
 * A connected `pg` client on the stack's PostgreSQL, database `cdc_cache_test`. Close it with `end()`.
 *
 * @example
 * const pg = await connectPostgres()
 * await pg.query('CREATE TABLE users (id int PRIMARY KEY, email text)')
 */
export async function connectPostgres(endpoints: StackEndpoints = stackEndpoints()): Promise<Client> {
  const { host, port, user, database } = endpoints.postgres;
  const client = new Client({ host, port, user, database, connectionTimeoutMillis: 5_000 });
  await client.connect();
  return client;
}

/**
 * A connected `mysql2` connection on the stack's MariaDB, database `cdc_cache_test`. Close it with `end()`.
 *
 * @example
 * const maria = await connectMariaDb()
 * await maria.query('INSERT INTO users (id, email) VALUES (?, ?)', [1, 'a@example.com'])
 */
export async function connectMariaDb(endpoints: StackEndpoints = stackEndpoints()): Promise<Connection> {
  const { host, port, user, password, database } = endpoints.mariadb;
  return createConnection({ host, port, user, password, database, connectTimeout: 5_000 });
}
