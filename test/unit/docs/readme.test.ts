import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderConfigSections } from '../../../scripts/readme-config-sections';

const root = join(__dirname, '../../..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('README.md', () => {
  it('holds the configuration reference generated from the worker schemas (npm run docs:config)', () => {
    // Prepare
    const readme = read('README.md');

    // Act
    const regenerated = renderConfigSections(readme);

    // Assess
    expect(readme).toContain('`CDC_CACHE_KAFKA_BROKERS`');
    expect(readme).toContain('`CDC_CACHE_DYNAMODB_TABLE`');
    expect(regenerated).toBe(readme);
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
