import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_DEFAULTS, CONTEXT_KEYS, REPO_ROOT } from '../../../infra/lib/config';

/** The first cell of every row of the settings table in docs/infra.md: the keys it documents. */
function documentedKeys(): string[] {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'infra.md'), 'utf8');
  const table = doc.slice(doc.indexOf('| key | default | meaning |'));
  const rows = table.slice(0, table.indexOf('\n\n')).split('\n').slice(2);
  return rows.flatMap((row) =>
    [...(row.split('|')[1] ?? '').matchAll(/`([A-Za-z]+)`/g)].map((match) => match[1]!),
  );
}

describe('docs/infra.md', () => {
  it('documents every setting the app reads, and no other', () => {
    // Prepare
    const known = CONTEXT_KEYS.filter((key) => key !== 'configFile');

    // Act
    const documented = documentedKeys();

    // Assess
    expect(known.filter((key) => !documented.includes(key))).toEqual([]);
    expect(documented.filter((key) => !(known as readonly string[]).includes(key))).toEqual([]);
  });

  it('gives the defaults the app applies, those shared with the runtimes included', () => {
    // Prepare
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'infra.md'), 'utf8');

    // Act
    const shared = [
      CONFIG_DEFAULTS.kafkaGroupId,
      CONFIG_DEFAULTS.kafkaDlqTopic,
      CONFIG_DEFAULTS.postgresSlot,
    ];

    // Assess
    expect(doc).toContain(`| \`${CONFIG_DEFAULTS.logLevel}\` |`);
    expect(doc).toContain(`| \`${shared[0]}\`, \`${shared[1]}\` |`);
    expect(doc).toContain(`| \`${shared[2]}\`, the slot's name |`);
  });
});
