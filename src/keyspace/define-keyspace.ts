import { CdcCacheError } from '../errors';
import { type ColumnType, parseColumnType } from './column-type';
import { RESERVED_KEY_SEGMENT } from './internal-keys';
import { type KeyTemplate, parseKeyTemplate, templatesMayCollide } from './key-template';
import type { EntityDefinitions, EntitySpec, Keyspace, KeyspaceOptions, SourceSpec } from './keyspace-types';
import { parseDuration } from './parse-duration';

const ENTITY_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ENTITY_FIELDS = new Set([
  'key',
  'ttl',
  'ttlJitter',
  'negativeTtl',
  'grace',
  'mode',
  'tags',
  'fields',
  'maxReplicaLag',
  'nearCache',
  'sources',
]);
const SOURCE_FIELDS = new Set(['table', 'dynamodb', 'fields', 'columns']);
const DEFAULT_TTL_JITTER = 0.1;
const MAX_NEGATIVE_TTL_MS = 30_000;

/**
 * Define and validate a keyspace: the one description of cached entities, their keys, TTLs and source
 * tables, shared by the read-side SDK and the invalidation worker. Throws a {@link CdcCacheError} with code
 * `CDC_INVALID_KEYSPACE` whose message names every bad field.
 *
 * @example
 * export default defineKeyspace({
 *   user: { key: 'user:{id}', ttl: '5m', sources: [{ table: 'public.users' }] },
 *   userByEmail: { key: 'user-by-email:{email}', ttl: '5m', sources: [{ table: 'public.users' }] },
 *   product: { key: 'product:{sku}', ttl: '30m', mode: 'refresh', sources: [{ dynamodb: 'Products', fields: { sku: 'pk' } }] },
 * })
 */
export function defineKeyspace<const Definitions extends EntityDefinitions>(
  definitions: Definitions,
  options: KeyspaceOptions = {},
): Keyspace<Definitions> {
  const problems: string[] = [];
  const entities = new Map<string, EntitySpec>();
  if (!isPlainObject(definitions) || Object.keys(definitions).length === 0) {
    problems.push('keyspace: must be an object with at least one entity');
  } else {
    for (const [name, definition] of Object.entries(definitions)) {
      const entity = validateEntity(name, definition, problems);
      if (entity) entities.set(name, entity);
    }
    checkCollisions([...entities.values()], problems);
    checkColumnTypes([...entities.values()], problems);
  }
  const prefix = options.prefix ?? '';
  if (typeof prefix !== 'string' || /[{}]/.test(prefix))
    problems.push('prefix: must be a string without braces');
  if (problems.length > 0) {
    throw new CdcCacheError('CDC_INVALID_KEYSPACE', `Invalid keyspace:\n  - ${problems.join('\n  - ')}`, {
      details: { problems },
    });
  }
  return { prefix, entities, definitions };
}

function validateEntity(name: string, definition: unknown, problems: string[]): EntitySpec | undefined {
  const at = (field: string) => `${name}.${field}`;
  const before = problems.length;
  if (!ENTITY_NAME.test(name)) problems.push(`${name}: entity names use letters, digits, '_' and '-'`);
  if (!isPlainObject(definition)) {
    problems.push(`${name}: must be an object with key, ttl and sources`);
    return undefined;
  }
  for (const field of Object.keys(definition)) {
    if (!ENTITY_FIELDS.has(field))
      problems.push(`${at(field)}: unknown field (expected one of ${[...ENTITY_FIELDS].join(', ')})`);
  }
  const template = validateTemplate(at('key'), definition['key'], problems);
  const ttlMs =
    validateDuration(at('ttl'), definition['ttl'], problems, { required: true, positive: true }) ?? 0;
  const negativeTtlMs =
    validateDuration(at('negativeTtl'), definition['negativeTtl'], problems, { positive: true }) ??
    Math.min(ttlMs, MAX_NEGATIVE_TTL_MS);
  const graceMs = validateDuration(at('grace'), definition['grace'], problems) ?? 0;
  const maxReplicaLagMs = validateDuration(at('maxReplicaLag'), definition['maxReplicaLag'], problems) ?? 0;
  const ttlJitter = definition['ttlJitter'] ?? DEFAULT_TTL_JITTER;
  if (typeof ttlJitter !== 'number' || !(ttlJitter >= 0 && ttlJitter <= 1)) {
    problems.push(`${at('ttlJitter')}: must be a number from 0 to 1`);
  }
  const nearCache = definition['nearCache'];
  if (nearCache !== undefined && typeof nearCache !== 'boolean')
    problems.push(`${at('nearCache')}: must be true or false`);
  const mode = definition['mode'] ?? 'delete';
  if (mode !== 'delete' && mode !== 'refresh') problems.push(`${at('mode')}: must be 'delete' or 'refresh'`);
  const tags = validateTags(at('tags'), definition['tags'], problems);
  const fields = validateFields(at('fields'), definition['fields'], problems);
  if (fields && mode !== 'refresh') problems.push(`${at('fields')}: only applies to mode 'refresh'`);
  const placeholders = new Set([
    ...(template?.placeholders ?? []),
    ...tags.flatMap((tag) => tag.placeholders),
  ]);
  const sources = validateSources(at('sources'), definition['sources'], placeholders, problems);
  const types = placeholderTypes(at('sources'), placeholders, sources, problems);
  if (mode === 'refresh' && sources.length > 1) {
    // A refreshed value is one table's row, guarded by versions of one order (one LSN stream, one binlog,
    // one DynamoDB item): a second table would write its own row as the entity's value.
    problems.push(
      `${at('sources')}: a 'refresh' entity caches one table's row and compares versions of one order, but ${name} has ${sources.length} sources (${sources.map((source) => `${source.kind === 'dynamodb' ? 'dynamodb' : 'table'} ${source.table}`).join(', ')}); use mode 'delete', or one refresh entity per table`,
    );
  }
  if (problems.length > before || !template) return undefined;
  return {
    name,
    template,
    ttlMs,
    ttlJitter: ttlJitter as number,
    negativeTtlMs,
    graceMs,
    maxReplicaLagMs,
    ...(typeof nearCache === 'boolean' ? { nearCache } : {}),
    mode: mode as EntitySpec['mode'],
    tags,
    types,
    fields,
    sources,
  };
}

function validateTemplate(path: string, value: unknown, problems: string[]): KeyTemplate | undefined {
  if (typeof value !== 'string') {
    problems.push(`${path}: required, a template such as 'user:{id}'`);
    return undefined;
  }
  const parsed = parseKeyTemplate(value);
  if ('error' in parsed) {
    problems.push(`${path}: '${value}' ${parsed.error}`);
    return undefined;
  }
  if (value.startsWith(RESERVED_KEY_SEGMENT)) {
    problems.push(
      `${path}: keys starting with '${RESERVED_KEY_SEGMENT}' are reserved for cdc-cache's own keys`,
    );
  }
  return parsed.template;
}

function validateDuration(
  path: string,
  value: unknown,
  problems: string[],
  rules: { required?: boolean; positive?: boolean } = {},
): number | undefined {
  if (value === undefined) {
    if (rules.required) problems.push(`${path}: required, a duration such as '5m'`);
    return undefined;
  }
  const parsed = parseDuration(value);
  if ('error' in parsed) {
    problems.push(`${path}: ${parsed.error}`);
    return undefined;
  }
  if (rules.positive && parsed.ms <= 0) {
    problems.push(`${path}: must be longer than zero`);
    return undefined;
  }
  return parsed.ms;
}

function validateTags(path: string, value: unknown, problems: string[]): KeyTemplate[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    problems.push(`${path}: must be a list of tag templates such as 'tenant:{tenantId}'`);
    return [];
  }
  return value.flatMap((tag, index) => {
    const template = validateTemplate(`${path}[${index}]`, tag, problems);
    return template ? [template] : [];
  });
}

function validateFields(path: string, value: unknown, problems: string[]): string[] | null {
  if (value === undefined) return null;
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    !value.every((field) => typeof field === 'string' && field)
  ) {
    problems.push(`${path}: must be a non-empty list of column names`);
    return null;
  }
  return value;
}

function validateSources(
  path: string,
  value: unknown,
  placeholders: ReadonlySet<string>,
  problems: string[],
): SourceSpec[] {
  if (!Array.isArray(value) || value.length === 0) {
    problems.push(`${path}: required, a non-empty list such as [{ table: 'public.users' }]`);
    return [];
  }
  return value.flatMap((source, index): SourceSpec[] => {
    const at = `${path}[${index}]`;
    if (!isPlainObject(source)) {
      problems.push(`${at}: must be an object with 'table' or 'dynamodb'`);
      return [];
    }
    for (const field of Object.keys(source)) {
      if (!SOURCE_FIELDS.has(field))
        problems.push(`${at}.${field}: unknown field (expected table, dynamodb, fields or columns)`);
    }
    const { table, dynamodb } = source;
    if ((table === undefined) === (dynamodb === undefined)) {
      problems.push(
        `${at}: needs exactly one of 'table' (Debezium '<schema>.<table>') or 'dynamodb' (table name)`,
      );
      return [];
    }
    if (table !== undefined && (typeof table !== 'string' || !/^[^.\s]+\.[^.\s]+$/.test(table))) {
      problems.push(`${at}.table: '${String(table)}' must be '<schema>.<table>' or '<database>.<table>'`);
      return [];
    }
    if (
      dynamodb !== undefined &&
      (typeof dynamodb !== 'string' || !/^[A-Za-z0-9_.-]{3,255}$/.test(dynamodb))
    ) {
      problems.push(`${at}.dynamodb: '${String(dynamodb)}' is not a DynamoDB table name`);
      return [];
    }
    const mapping = source['fields'] ?? {};
    if (
      !isPlainObject(mapping) ||
      !Object.values(mapping).every((column) => typeof column === 'string' && column)
    ) {
      problems.push(`${at}.fields: must map placeholder names to column names`);
      return [];
    }
    for (const placeholder of Object.keys(mapping)) {
      if (!placeholders.has(placeholder))
        problems.push(`${at}.fields.${placeholder}: no such placeholder in key or tags`);
    }
    const fields: Record<string, string> = {};
    for (const placeholder of placeholders)
      fields[placeholder] = (mapping[placeholder] as string | undefined) ?? placeholder;
    const columns = validateColumnTypes(`${at}.columns`, source['columns'], problems);
    return [
      {
        kind: table !== undefined ? 'table' : 'dynamodb',
        table: (table ?? dynamodb) as string,
        fields,
        columns,
      },
    ];
  });
}

function validateColumnTypes(path: string, value: unknown, problems: string[]): Record<string, ColumnType> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) {
    problems.push(`${path}: must map column names to types, e.g. { day: 'date', amount: 'numeric' }`);
    return {};
  }
  const columns: Record<string, ColumnType> = {};
  for (const [column, text] of Object.entries(value)) {
    const parsed = parseColumnType(text);
    if ('error' in parsed) problems.push(`${path}.${column}: ${parsed.error}`);
    else columns[column] = parsed.type;
  }
  return columns;
}

/** Types that render the same canonical text (see canonical-key-text.ts). */
const SAME_TEXT: Readonly<Record<string, string>> = { bigint: 'integer', float: 'numeric' };

/**
 * The type of each placeholder, from the columns its sources declare. Two sources declaring different types
 * for one placeholder would render different keys for the same value: a keyspace error.
 */
function placeholderTypes(
  path: string,
  placeholders: ReadonlySet<string>,
  sources: readonly SourceSpec[],
  problems: string[],
): Record<string, ColumnType> {
  const types: Record<string, ColumnType> = {};
  for (const placeholder of placeholders) {
    for (const [index, source] of sources.entries()) {
      const type = source.columns[source.fields[placeholder] ?? placeholder];
      if (!type) continue;
      const known = types[placeholder];
      if (known && (SAME_TEXT[known.name] ?? known.name) !== (SAME_TEXT[type.name] ?? type.name)) {
        problems.push(
          `${path}[${index}].columns: {${placeholder}} is declared '${type.name}' here but '${known.name}' in another source; one placeholder needs one type`,
        );
      } else if (!known) types[placeholder] = type;
    }
  }
  return types;
}

/** A table column read by several entities must have one type: a decoder reads it once for all of them. */
function checkColumnTypes(entities: EntitySpec[], problems: string[]): void {
  const seen = new Map<string, { type: ColumnType; entity: string }>();
  for (const entity of entities) {
    for (const source of entity.sources) {
      for (const [column, type] of Object.entries(source.columns)) {
        const id = `${source.kind}:${source.table}.${column}`;
        const known = seen.get(id);
        if (!known) seen.set(id, { type, entity: entity.name });
        else if (
          known.type.name !== type.name ||
          known.type.scale !== type.scale ||
          known.type.precision !== type.precision
        ) {
          problems.push(
            `${entity.name}.sources: column '${column}' of ${source.table} is declared '${type.name}' here but '${known.type.name}' in ${known.entity}; declare one type`,
          );
        }
      }
    }
  }
}

function checkCollisions(entities: EntitySpec[], problems: string[]): void {
  for (let i = 0; i < entities.length; i++) {
    for (let j = i + 1; j < entities.length; j++) {
      const [a, b] = [entities[i]!, entities[j]!];
      if (templatesMayCollide(a.template, b.template)) {
        problems.push(
          `${b.name}.key: '${b.template.source}' can render the same key as ${a.name}.key '${a.template.source}'; give one a distinct literal segment`,
        );
      }
    }
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
