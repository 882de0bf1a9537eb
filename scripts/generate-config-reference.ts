/** `npm run docs:config`: regenerate the README's configuration reference from the schemas. */
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigSections } from './readme-config-sections';

const readme = readFileSync('README.md', 'utf8');
const updated = renderConfigSections(readme);
if (updated !== readme) writeFileSync('README.md', updated);
console.log(
  updated === readme ? 'README.md: configuration reference already up to date' : 'README.md: updated',
);
