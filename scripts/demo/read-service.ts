/**
 * The demo's tiny read service: HTTP in front of PostgreSQL and DynamoDB, reading through the SDK.
 * Run as a child process by the demo; prints `ready <port>` once it listens.
 *
 *   GET /users/:id            GET /users/by-email/:email            GET /products/:sku
 *   GET /stats                hits, misses, loads and verified hits so far
 */
import { createServer } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Pool } from 'pg';
import { createCache, loadKeyspace } from '../../src/index';
import { stackEndpoints } from '../stack/stack-endpoints';
import { loadProduct, loadUserByEmail, loadUserById } from './demo-data';

async function main(): Promise<void> {
  const endpoints = stackEndpoints();
  const keyspace = await loadKeyspace(process.env.CDC_CACHE_KEYSPACE!);
  const cache = createCache({
    redis: endpoints.redis.url,
    keyspace,
    prefix: process.env.CDC_CACHE_KEY_PREFIX ?? '',
    // The read side of the audit: re-load a sample of hits later and compare (docs/audit.md).
    verify: { rate: 0.1, delay: Number(process.env.DEMO_VERIFY_DELAY ?? 1_000) },
  });
  // A pool: the loaders of concurrent misses query at once (one Client would queue them, and pg 9 refuses it).
  const pg = new Pool({ ...endpoints.postgres, max: 4 });
  const dynamodb = new DynamoDBClient({
    endpoint: endpoints.dynamodb.endpoint,
    region: endpoints.dynamodb.region,
    credentials: endpoints.dynamodb.credentials,
  });
  const stats = {
    hits: 0,
    misses: 0,
    stale: 0,
    loads: 0,
    verify: { verified: 0, mismatches: 0, changed: 0, failed: 0 },
  };
  cache.events.on('hit', () => stats.hits++);
  cache.events.on('miss', () => stats.misses++);
  cache.events.on('stale', () => stats.stale++);
  cache.events.on('load', () => stats.loads++);
  cache.events.on('verify', ({ outcome }) => {
    if (outcome === 'dropped') return;
    stats.verify.verified++;
    if (outcome === 'mismatch') stats.verify.mismatches++;
    else if (outcome === 'changed') stats.verify.changed++;
    else if (outcome === 'failed') stats.verify.failed++;
  });

  const routes: Array<[RegExp, (match: string) => Promise<unknown>]> = [
    [
      /^\/users\/by-email\/(.+)$/,
      (email) => cache.get('userByEmail', { email }, () => loadUserByEmail(pg, email)),
    ],
    [/^\/users\/(\d+)$/, (id) => cache.get('user', { id: Number(id) }, () => loadUserById(pg, Number(id)))],
    [/^\/products\/(.+)$/, (sku) => cache.get('product', { sku }, () => loadProduct(dynamodb, sku))],
    [/^\/stats$/, async () => stats],
  ];

  const server = createServer((request, response) => {
    const path = decodeURIComponent(request.url ?? '/');
    const route = routes.find(([pattern]) => pattern.test(path));
    if (!route) {
      response.writeHead(404).end();
      return;
    }
    route[1](route[0].exec(path)![1] ?? '').then(
      (body) =>
        response
          .writeHead(body === null ? 404 : 200, { 'content-type': 'application/json' })
          .end(JSON.stringify(body)),
      (error: Error) => response.writeHead(500).end(error.message),
    );
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(`ready ${typeof address === 'object' && address ? address.port : 0}`);
  });

  const stop = () => {
    server.close();
    void Promise.allSettled([cache.close(), pg.end()]).then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
