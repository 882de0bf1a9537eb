/** `npm run docs:config`: regenerate the configuration references (README, docs/kafka-worker.md) from the schemas. */
import { readFileSync, writeFileSync } from 'node:fs';
import { kafkaWorkerConfigSchema } from '../src/runtimes/kafka-worker/kafka-worker-config';
import { formatConfigReference } from '../src/runtimes/shared/config-schema';
import { renderConfigSections } from './readme-config-sections';

function regenerate(path: string, render: (text: string) => string): void {
  const text = readFileSync(path, 'utf8');
  const updated = render(text);
  if (updated !== text) writeFileSync(path, updated);
  console.log(`${path}: ${updated === text ? 'configuration reference already up to date' : 'updated'}`);
}

regenerate('README.md', renderConfigSections);
// docs/kafka-worker.md holds the Kafka worker's table alone: from its header line to the next blank line.
regenerate('docs/kafka-worker.md', (doc) => {
  const start = doc.indexOf('| env | flag | default | description |');
  if (start < 0) return doc;
  const end = doc.indexOf('\n\n', start);
  return doc.slice(0, start) + formatConfigReference(kafkaWorkerConfigSchema).trimEnd() + doc.slice(end);
});
