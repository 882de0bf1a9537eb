import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { run } from '../../../src/cli/commands/explain';
import { loadKeyspace } from '../../../src/keyspace';
import { createCache } from '../../../src/sdk/create-cache';

// explain decodes as the worker does (exact integers beyond 2^53, the keyspace's declared column types) and
// renders with the SDK's renderer: its keys are keyOf's.
const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-explain-keys-'));
const keyspaceFile = join(directory, 'keyspace.json');
writeFileSync(
  keyspaceFile,
  JSON.stringify({
    entities: {
      order: {
        key: '{tenant}:order/{id}/{day}',
        ttl: '5m',
        tags: ['{tenant}:orders'],
        sources: [{ table: 'public.orders', columns: { day: 'date', amount: 'numeric(10,2)' } }],
      },
    },
  }),
);

async function explain(input: unknown): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const errors: string[] = [];
  const code = await run(['--keyspace', keyspaceFile], {
    readInput: async () => (typeof input === 'string' ? input : JSON.stringify(input)),
    out: (line) => lines.push(line),
    err: (line) => errors.push(line),
    env: {},
  });
  if (code !== 0) throw new Error(errors.join('\n'));
  return lines.map((line) => JSON.parse(line));
}

describe('explain keys = keyOf', () => {
  const redis = new Redis({ lazyConnect: true, enableOfflineQueue: false });
  afterAll(() => redis.disconnect());

  it('keeps a bigint id beyond 2^53 exact and reads a schemaless day count as the declared date', async () => {
    // Prepare: a schemaless Debezium delete, as the JSON converter writes it (the id is a bare 20-digit number)
    const input = `{"before":{"tenant":"_cc","id":12345678901234567891,"day":19724},"after":null,"source":{"connector":"postgresql","schema":"public","table":"orders","lsn":7},"op":"d"}`;
    const cache = createCache({ redis, keyspace: await loadKeyspace(keyspaceFile) });
    // node-postgres returns int8 as a string and a date as a local-midnight Date
    const expected = cache.keyOf('order', {
      tenant: '_cc',
      id: '12345678901234567891',
      day: new Date(2024, 0, 2),
    });
    // Act
    const lines = await explain(input);
    // Assess
    expect(expected).toBe('%5Fcc:order/12345678901234567891/2024-01-02');
    expect(lines).toEqual([
      // A known version: delete mode leaves a versioned tombstone (protocol v2), on the same key.
      { action: 'tombstone', key: expected, entity: 'order', version: '00000000000000000007' },
      { action: 'invalidate-tag', key: '_cc:tag:%5Fcc:orders', tag: '%5Fcc:orders' },
    ]);
  });

  it('dead-letters a key column holding json, naming the column', async () => {
    // Prepare
    const input = {
      before: { tenant: { a: 1 }, id: 1, day: 19724 },
      after: null,
      source: { connector: 'postgresql', schema: 'public', table: 'orders', lsn: 7 },
      op: 'd',
    };
    // Act
    const [line] = await explain(input);
    // Assess
    expect(line).toMatchObject({ action: 'dead-letter', code: 'CDC_PLAN_FAILED' });
    expect(String(line?.['reason'])).toMatch(/column 'tenant'.*json\/jsonb cannot be a key/);
  });
});
