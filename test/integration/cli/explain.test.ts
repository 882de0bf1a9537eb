import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-explain-it-'));
const keyspaceFile = join(directory, 'keyspace.json');
writeFileSync(
  keyspaceFile,
  JSON.stringify({
    prefix: 'shop:',
    entities: {
      user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'inventory.users' }] },
      profile: { key: 'profile:{id}', ttl: '5m', mode: 'refresh', sources: [{ table: 'inventory.users' }] },
    },
  }),
);

function runCli(
  args: string[],
  stdin: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(
      process.execPath,
      [join(root, 'node_modules/tsx/dist/cli.mjs'), 'src/cli/main.ts', ...args],
      {
        cwd: root,
        env: withoutPrefixOverride(),
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.once('error', fail);
    child.once('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('cdc-cache explain (the command)', () => {
  it('explains a MySQL Debezium message with schema from stdin, one JSON object per line', async () => {
    // Prepare: the JSON converter with schemas.enable=true
    const message = {
      schema: {
        type: 'struct',
        fields: [
          { field: 'before', type: 'struct', optional: true, fields: [{ field: 'id', type: 'int32' }] },
          { field: 'after', type: 'struct', optional: true, fields: [{ field: 'id', type: 'int32' }] },
          { field: 'op', type: 'string' },
          { field: 'source', type: 'struct', fields: [] },
        ],
      },
      payload: {
        op: 'd',
        before: { id: 7 },
        after: null,
        source: {
          connector: 'mysql',
          db: 'inventory',
          table: 'users',
          file: 'binlog.000003',
          pos: 4711,
          row: 0,
          ts_ms: 1,
        },
      },
    };
    // Act
    const { code, stdout, stderr } = await runCli(
      ['explain', '--keyspace', keyspaceFile],
      JSON.stringify(message),
    );
    // Assess
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines).toEqual([
      { action: 'tombstone', key: 'shop:user:7', version: expect.any(String), entity: 'user' },
      { action: 'tombstone', key: 'shop:profile:7', version: expect.any(String), entity: 'profile' },
    ]);
  });

  it('exits with code 2 and names the problem for malformed input', async () => {
    // Act
    const { code, stdout, stderr } = await runCli(['explain', '--keyspace', keyspaceFile], '{"payload": 1');
    // Assess
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/not valid JSON/);
  });
});

function withoutPrefixOverride(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['CDC_CACHE_KEY_PREFIX'];
  return env;
}
