/** `npm run docs:config`: regenerate every configuration reference (README, docs/) from the option declarations. */
import { readFileSync, writeFileSync } from 'node:fs';
import { CONFIG_DOCUMENTS, renderConfigSections } from './config-documents';

for (const [path, sections] of Object.entries(CONFIG_DOCUMENTS)) {
  const text = readFileSync(path, 'utf8');
  const updated = renderConfigSections(text, sections);
  if (updated !== text) writeFileSync(path, updated);
  console.log(`${path}: ${updated === text ? 'configuration reference already up to date' : 'updated'}`);
}
