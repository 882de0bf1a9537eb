import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/commands/explain';
import { explainConfigSchema } from '../../../src/cli/commands/explain-config';

const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-explain-'));
const keyspaceFile = join(directory, 'keyspace.yaml');
writeFileSync(
  keyspaceFile,
  `entities:
  user:
    key: 'user:{id}'
    ttl: 5m
    sources: [{ table: public.users }]
  userByEmail:
    key: 'user-by-email:{email}'
    ttl: 5m
    sources: [{ table: public.users }]
  product:
    key: 'product:{sku}'
    ttl: 30m
    mode: refresh
    sources: [{ dynamodb: Products, fields: { sku: pk } }]
`,
);

/** Record factory: a Debezium PostgreSQL envelope without schema. */
function debeziumValue(overrides: Record<string, unknown> = {}) {
  return {
    op: 'u',
    before: { id: 42, email: 'old@example.com' },
    after: { id: 42, email: 'new@example.com' },
    source: {
      connector: 'postgresql',
      schema: 'public',
      table: 'users',
      lsn: 1234,
      ts_ms: 1_732_360_000_000,
    },
    ts_ms: 1_732_360_000_100,
    ...overrides,
  };
}

/** Record factory: a DynamoDB stream record as Lambda receives it. */
function dynamodbRecord(overrides: Record<string, unknown> = {}) {
  return {
    eventID: '1',
    eventName: 'MODIFY',
    eventSource: 'aws:dynamodb',
    eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/Products/stream/2024-01-01T00:00:00.000',
    dynamodb: {
      Keys: { pk: { S: 'A1' } },
      NewImage: { pk: { S: 'A1' }, price: { N: '3' } },
      OldImage: { pk: { S: 'A1' }, price: { N: '2' } },
      SequenceNumber: '111',
      ApproximateCreationDateTime: 1_732_360_000,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
    ...overrides,
  };
}

async function explain(argv: string[], input: string, env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(argv, {
    readInput: async () => input,
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env,
  });
  return { code, lines: out.map((line) => JSON.parse(line) as Record<string, unknown>), err: err.join('\n') };
}

describe('cdc-cache explain', () => {
  it('prints --help generated from its option declarations, and reads the shared variables', async () => {
    // Prepare
    const help: string[] = [];

    // Act
    const code = await run(['--help'], {
      readInput: async () => '',
      out: (line) => help.push(line),
      err: () => {},
      env: {},
    });
    const fromEnv = await explain([], JSON.stringify(debeziumValue()), {
      CDC_CACHE_KEYSPACE: keyspaceFile,
      CDC_CACHE_KEY_PREFIX: 'env:',
    });

    // Assess
    expect(code).toBe(0);
    for (const option of Object.values(explainConfigSchema))
      expect(help.join('\n')).toContain(`--${option.flag}`);
    expect(fromEnv.code).toBe(0);
    expect(fromEnv.lines.map((line) => line['key'])).toEqual(
      expect.arrayContaining([expect.stringMatching(/^env:/)]),
    );
  });

  it('prints one versioned tombstone per key from both images of a Debezium message', async () => {
    // Act
    const { code, lines } = await explain(['--keyspace', keyspaceFile], JSON.stringify(debeziumValue()));
    // Assess
    expect(code).toBe(0);
    expect(lines).toEqual([
      { action: 'tombstone', key: 'user:42', version: '00000000000000001234', entity: 'user' },
      {
        action: 'tombstone',
        key: 'user-by-email:old@example.com',
        version: '00000000000000001234',
        entity: 'userByEmail',
      },
      {
        action: 'tombstone',
        key: 'user-by-email:new@example.com',
        version: '00000000000000001234',
        entity: 'userByEmail',
      },
    ]);
  });

  it('detects a Lambda event and prints a version-guarded refresh', async () => {
    // Act
    const { code, lines } = await explain(
      ['--keyspace', keyspaceFile, '--prefix', 'shop:'],
      JSON.stringify({ Records: [dynamodbRecord()] }),
    );
    // Assess
    expect(code).toBe(0);
    expect(lines).toEqual([
      {
        action: 'refresh',
        key: 'shop:product:A1',
        version: '111'.padStart(40, '0'),
        entity: 'product',
        bytes: expect.any(Number),
      },
    ]);
  });

  it('prints a skip for a table outside the keyspace and for a Kafka tombstone value', async () => {
    // Act
    const other = await explain(
      ['--keyspace', keyspaceFile],
      JSON.stringify(
        debeziumValue({ source: { connector: 'postgresql', schema: 'public', table: 'orders', lsn: 1 } }),
      ),
    );
    const tombstone = await explain(['--keyspace', keyspaceFile, '--source', 'debezium'], 'null');
    // Assess
    expect(other.lines).toEqual([
      { action: 'skip', reason: "table 'public.orders' is not in the keyspace", table: 'public.orders' },
    ]);
    expect(tombstone.lines).toEqual([{ action: 'skip', reason: expect.stringContaining('changes no row') }]);
  });

  it('exits 2 naming the problem for malformed JSON, a malformed message, a bad option or a missing keyspace', async () => {
    // Act
    const notJson = await explain(['--keyspace', keyspaceFile], '{"op": ');
    const notMessage = await explain(['--keyspace', keyspaceFile], '[1, 2]');
    const badSource = await explain(['--keyspace', keyspaceFile, '--source', 'kafka'], '{}');
    const noKeyspace = await explain([], '{}');
    const missingFile = await explain(['--keyspace', join(directory, 'nope.yaml')], '{}');
    const badRecord = await explain(
      ['--keyspace', keyspaceFile],
      JSON.stringify({ Records: [{ dynamodb: {} }] }),
    );
    // Assess
    expect(notJson).toMatchObject({ code: 2, err: expect.stringContaining('not valid JSON') });
    expect(notMessage).toMatchObject({
      code: 2,
      err: expect.stringContaining('expected a Debezium message'),
    });
    expect(badSource).toMatchObject({ code: 2, err: expect.stringContaining('--source') });
    expect(noKeyspace).toMatchObject({ code: 2, err: expect.stringContaining('--keyspace') });
    expect(missingFile).toMatchObject({ code: 2, err: expect.stringContaining('nope.yaml') });
    expect(badRecord).toMatchObject({ code: 2, err: expect.stringContaining('SequenceNumber') });
  });

  it('accepts JSON lines, tagging each action with its event', async () => {
    // Act
    const { lines } = await explain(
      ['--keyspace', keyspaceFile],
      `${JSON.stringify(debeziumValue({ op: 'd', after: null }))}\n${JSON.stringify(debeziumValue({ op: 't', before: null, after: null }))}\n`,
    );
    // Assess
    expect(lines).toEqual([
      { action: 'tombstone', key: 'user:42', version: '00000000000000001234', entity: 'user', event: 0 },
      {
        action: 'tombstone',
        key: 'user-by-email:old@example.com',
        version: '00000000000000001234',
        entity: 'userByEmail',
        event: 0,
      },
      {
        action: 'bump-generation',
        key: '_cc:gen:user',
        version: expect.any(String),
        entity: 'user',
        event: 1,
      },
      {
        action: 'bump-generation',
        key: '_cc:gen:userByEmail',
        version: expect.any(String),
        entity: 'userByEmail',
        event: 1,
      },
    ]);
  });

  it('exits 2 with a message, not a stack, for a Connect schema nested 10,000 levels deep', async () => {
    // Prepare: a value nested as deep as its schema (written as text: JSON.stringify would overflow too).
    const depth = 10_000;
    const schema = `${'{"type":"struct","field":"a","fields":['.repeat(depth)}{"type":"int64","field":"id"}${']}'.repeat(depth)}`;
    const payload = `${'{"a":'.repeat(depth)}{"id":1}${'}'.repeat(depth)}`;
    const value = `{"schema":{"type":"struct","fields":[{"type":"struct","field":"after","fields":[${schema}]}]},"payload":{"op":"c","after":{"a":${payload}},"source":{}}}`;
    // Act
    const { code, err } = await explain(['--keyspace', keyspaceFile], value);
    // Assess
    expect(code).toBe(2);
    expect(err).toMatch(/nests deeper than \d+ levels/);
  });

  describe('a keyspace module (code) named by CDC_CACHE_KEYSPACE', () => {
    const marker = join(directory, 'ran');
    let modules = 0;
    /** A fresh module each time (require caches a module it ran): it leaves a marker file when run. */
    const keyspaceModule = () => {
      const file = join(directory, `keyspace-${++modules}.js`);
      writeFileSync(
        file,
        `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\nmodule.exports = {};\n`,
      );
      return file;
    };
    afterEach(() => rmSync(marker, { force: true }));

    it('is not run unless asked', async () => {
      // Act
      const { code, err } = await explain([], JSON.stringify(debeziumValue()), {
        CDC_CACHE_KEYSPACE: keyspaceModule(),
      });
      // Assess
      expect(code).toBe(2);
      expect(err).toContain('--allow-code-keyspace');
      expect(existsSync(marker)).toBe(false);
    });

    it.each([
      ['--allow-code-keyspace', (_file: string) => ['--allow-code-keyspace']],
      ['--keyspace naming it', (file: string) => ['--keyspace', file]],
    ])('is run when asked with %s', async (_name, argv) => {
      // Act
      const file = keyspaceModule();
      await explain(argv(file), JSON.stringify(debeziumValue()), { CDC_CACHE_KEYSPACE: file });
      // Assess
      expect(existsSync(marker)).toBe(true);
    });
  });
});
