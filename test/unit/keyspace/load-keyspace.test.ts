import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { keyspaceFromData, loadKeyspace } from '../../../src/keyspace';

const directory = mkdtempSync(join(tmpdir(), 'cdc-cache-keyspace-'));
const file = (name: string, text: string) => {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
};

describe('loadKeyspace', () => {
  it('loads YAML and JSON files', async () => {
    // Prepare
    const yamlPath = file(
      'ks.yaml',
      'prefix: "t1:"\nentities:\n  user:\n    key: "user:{id}"\n    ttl: 5m\n    sources:\n      - table: public.users\n',
    );
    const jsonPath = file(
      'ks.json',
      JSON.stringify({
        entities: { user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] } },
      }),
    );
    // Act
    const [fromYaml, fromJson] = await Promise.all([loadKeyspace(yamlPath), loadKeyspace(jsonPath)]);
    // Assess
    expect(fromYaml.prefix).toBe('t1:');
    expect(fromYaml.entities.get('user')?.ttlMs).toBe(300000);
    expect(fromJson.entities.get('user')?.template.source).toBe('user:{id}');
  });

  it('names the file and the field of a bad keyspace', async () => {
    // Prepare
    const path = file(
      'bad.yaml',
      'entities:\n  user:\n    key: "user:{id}"\n    ttl: forever\n    sources: [{ table: public.users }]\n',
    );
    // Act
    const loading = loadKeyspace(path);
    // Assess
    await expect(loading).rejects.toMatchObject({
      code: 'CDC_INVALID_KEYSPACE',
      message: expect.stringMatching(/bad\.yaml: .*user\.ttl/s),
    });
  });

  it.each([
    ['invalid JSON', 'broken.json', '{', /not valid JSON/],
    ['an unsupported extension', 'ks.toml', '', /unsupported keyspace file type '\.toml'/],
    ['an unknown top-level field', 'extra.json', '{"entities":{},"ttl":1}', /found unknown: ttl/],
  ])('rejects %s', async (_case, name, text, message) => {
    await expect(loadKeyspace(file(name, text))).rejects.toThrow(message);
  });

  it('loads a module whose default export is a defineKeyspace result', async () => {
    // Prepare
    const keyspaceModule = require.resolve('../../../src/keyspace');
    const path = file(
      'ks-module.js',
      `const { defineKeyspace } = require(${JSON.stringify(keyspaceModule)});\nexports.default = defineKeyspace({ user: { key: 'user:{id}', ttl: '1m', sources: [{ table: 'public.users' }] } });\n`,
    );
    // Act
    const keyspace = await loadKeyspace(path);
    // Assess
    expect([...keyspace.entities.keys()]).toEqual(['user']);
  });

  it('rejects a module that throws, or whose default export is not a keyspace', async () => {
    // Prepare
    const throwing = file('throws.js', "throw new Error('boom');\n");
    const plain = file('plain.js', 'exports.default = { user: {} };\n');
    // Act
    const [thrown, notKeyspace] = await Promise.allSettled([loadKeyspace(throwing), loadKeyspace(plain)]);
    // Assess
    expect(thrown).toMatchObject({
      status: 'rejected',
      reason: { code: 'CDC_INVALID_KEYSPACE', message: expect.stringContaining('boom') },
    });
    expect(notKeyspace).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringContaining('must be the result of defineKeyspace') },
    });
  });

  it('rejects a missing file with a clear message', async () => {
    await expect(loadKeyspace(join(directory, 'missing.json'))).rejects.toThrow(/Cannot read keyspace file/);
  });

  it('rejects data without entities', () => {
    expect(() => keyspaceFromData({ prefix: 'x' })).toThrow(/'entities' is missing/);
  });
});
