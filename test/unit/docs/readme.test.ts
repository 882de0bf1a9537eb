import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DOCUMENTS, renderConfigSections } from '../../../scripts/config-documents';

const root = join(__dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('README.md', () => {
  it.each(Object.entries(CONFIG_DOCUMENTS))(
    '%s holds the configuration references generated from the option declarations (npm run docs:config)',
    (path, sections) => {
      // Prepare
      const document = read(path);

      // Act
      const regenerated = renderConfigSections(document, sections);

      // Assess
      expect(regenerated).toBe(document);
    },
  );

  it('generates the README tables and the Lambda environment from the declarations', () => {
    expect(read('README.md')).toContain(
      '| `CDC_CACHE_KAFKA_BROKERS` | `--kafka-brokers` | comma-separated list |',
    );
    expect(read('README.md')).toContain('`CDC_CACHE_DYNAMODB_TABLE`');
    expect(read('docs/dynamodb.md')).toContain('| `CDC_CACHE_REDIS_PASSWORD_SECRET_ARN` | string |');
    expect(read('docs/configuration.md')).toMatch(
      /\| `CDC_CACHE_KEYSPACE` \| .* \| worker kafka, worker postgres, worker dynamodb, lambda, /,
    );
  });

  it('gives the two set-up commands, and CI runs exactly the test command', () => {
    const readme = read('README.md');
    expect(readme).toContain('npm ci && npm run demo');
    expect(readme).toContain('npm ci && npm test');
    expect(read('.ci/run')).toMatch(/^\(npm ci && npm test\)/m);
  });

  it('documents every npm script it tells people to run', () => {
    const scripts = Object.keys(JSON.parse(read('package.json')).scripts as Record<string, string>);
    const mentioned = [...read('README.md').matchAll(/npm run ([a-z:]+)/g)].map((match) => match[1]!);
    expect(mentioned.filter((name) => !scripts.includes(name))).toEqual([]);
  });
});
