import type { EntitySpec } from '../../keyspace';
import { generationKey } from '../../keyspace';

/**
 * The key prefixes whose changes must reach the near cache: each near-cached entity's keys (the template's
 * text before its first placeholder) and its generation key (a truncate replaces it). A prefix covered by a
 * shorter one is dropped: Redis refuses overlapping prefixes in one `CLIENT TRACKING ... BCAST`.
 *
 * @example
 * trackedPrefixes('shop:', [userSpec]) // ['shop:_cc:gen:user', 'shop:user:']
 */
export function trackedPrefixes(prefix: string, entities: readonly EntitySpec[]): string[] {
  const wanted = new Set<string>();
  for (const entity of entities) {
    let head = '';
    for (const segment of entity.template.segments) {
      if (segment.kind === 'placeholder') break;
      head += segment.text;
    }
    wanted.add(`${prefix}${head}`);
    wanted.add(generationKey(prefix, entity.name));
  }
  const kept: string[] = [];
  for (const candidate of [...wanted].sort((a, b) => a.length - b.length || (a < b ? -1 : 1))) {
    if (!kept.some((shorter) => candidate.startsWith(shorter))) kept.push(candidate);
  }
  return kept.sort();
}
