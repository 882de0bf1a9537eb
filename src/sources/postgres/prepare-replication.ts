import type { Client } from 'pg';
import { CdcCacheError } from '../../errors';

/** What the keyspace needs from one table's change stream. */
export interface TableNeeds {
  /** `<schema>.<table>`. */
  readonly table: string;
  /** Columns behind key and tag placeholders: their OLD values must be in every update and delete. */
  readonly keyColumns: readonly string[];
  /** A refresh-mode entity caches the row: unchanged TOASTed columns must be sent too (REPLICA IDENTITY FULL). */
  readonly cachesRows: boolean;
}

/** Options of {@link prepareReplication}. */
export interface PrepareReplicationOptions {
  readonly slot: string;
  readonly publication: string;
  readonly tables: readonly TableNeeds[];
}

/** What {@link prepareReplication} found. */
export interface ReplicationSetup {
  /** Primary key columns by `<schema>.<table>`. */
  readonly primaryKeys: ReadonlyMap<string, readonly string[]>;
  /** True when this call created the slot (changes before now were never captured). */
  readonly createdSlot: boolean;
}

interface TableRow {
  readonly relreplident: 'd' | 'n' | 'f' | 'i';
  readonly columns: string[];
  readonly pk: string[];
  readonly ident_index: string[];
}

const PUBLISHED_OPERATIONS = ['insert', 'update', 'delete', 'truncate'] as const;

/**
 * Check that PostgreSQL can stream what the keyspace needs, then create what is missing: the publication
 * (or the keyspace's tables added to an existing one) and the `pgoutput` slot. Every problem is collected
 * and thrown at once as `CDC_CONFIG_INVALID`, each saying what to change:
 *
 * - `wal_level` must be `logical` (on RDS and Aurora: `rds.logical_replication = 1`);
 * - a table whose key or tag placeholders read columns outside its replica identity, or that a refresh-mode
 *   entity caches, needs `REPLICA IDENTITY FULL`, or an update would not carry the old key;
 * - a table without a primary key needs `REPLICA IDENTITY FULL`, or publishing it makes its updates fail;
 * - an existing publication must publish inserts, updates, deletes and truncates, without row filters;
 * - an existing slot must use `pgoutput` on this database.
 *
 * Safe to run from several workers at once: a concurrent create is taken as done.
 *
 * @example
 * const { primaryKeys } = await prepareReplication(pg, { slot: 'cdc_cache', publication: 'cdc_cache', tables })
 */
export async function prepareReplication(
  client: Client,
  options: PrepareReplicationOptions,
): Promise<ReplicationSetup> {
  const problems: string[] = [];
  const settings = await client.query<{ wal_level: string; rds: string | null }>(
    "SELECT current_setting('wal_level') AS wal_level, current_setting('rds.logical_replication', true) AS rds",
  );
  const { wal_level: walLevel, rds } = settings.rows[0]!;
  if (rds !== null && rds !== undefined && rds !== 'on') {
    problems.push(
      `rds.logical_replication is '${rds}': set rds.logical_replication = 1 in the DB parameter group (cluster parameter group on Aurora) and reboot`,
    );
  } else if (walLevel !== 'logical') {
    problems.push(
      `wal_level is '${walLevel}': set wal_level = logical (ALTER SYSTEM SET wal_level = logical, or postgresql.conf) and restart PostgreSQL`,
    );
  }

  const primaryKeys = new Map<string, readonly string[]>();
  for (const needs of options.tables) {
    const [schema, name] = splitTable(needs.table);
    const found = await client.query<TableRow>(TABLE_QUERY, [schema, name]);
    const table = found.rows[0];
    const quoted = quoteTable(client, needs.table);
    if (!table) {
      problems.push(`table ${needs.table} does not exist (or is not a table) in database ${client.database}`);
      continue;
    }
    primaryKeys.set(needs.table, table.pk);
    const missing = needs.keyColumns.filter((column) => !table.columns.includes(column));
    if (missing.length > 0) {
      problems.push(`table ${needs.table} has no column ${missing.join(', ')} (named by the keyspace)`);
    }
    if (table.relreplident === 'f') continue;
    const identity =
      table.relreplident === 'd' ? table.pk : table.relreplident === 'i' ? table.ident_index : [];
    const outside = needs.keyColumns.filter(
      (column) => table.columns.includes(column) && !identity.includes(column),
    );
    const fix = `ALTER TABLE ${quoted} REPLICA IDENTITY FULL;`;
    if (table.relreplident === 'd' && table.pk.length === 0) {
      problems.push(
        `table ${needs.table} has no primary key, so its updates and deletes cannot be published: ${fix}`,
      );
    } else if (table.relreplident === 'n') {
      problems.push(`table ${needs.table} has REPLICA IDENTITY NOTHING, so updates carry no old row: ${fix}`);
    } else if (outside.length > 0) {
      problems.push(
        `table ${needs.table}: keys use ${outside.join(', ')}, outside its replica identity (${identity.join(', ')}), so an update or delete would not carry the old value and the old key would stay cached: ${fix}`,
      );
    } else if (needs.cachesRows) {
      problems.push(
        `table ${needs.table} feeds a refresh-mode entity, which caches the row; unchanged large (TOASTed) values are only sent with the full old row: ${fix}`,
      );
    }
  }
  if (problems.length === 0) await ensurePublication(client, options, problems);
  if (problems.length > 0) throw invalid(problems);
  const createdSlot = await ensureSlot(client, options.slot);
  return { primaryKeys, createdSlot };
}

const TABLE_QUERY = `
SELECT c.relreplident,
  ARRAY(SELECT attname::text FROM pg_attribute WHERE attrelid = c.oid AND attnum > 0 AND NOT attisdropped) AS columns,
  ARRAY(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = c.oid AND i.indisprimary) AS pk,
  ARRAY(SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey)
        WHERE i.indrelid = c.oid AND i.indisreplident) AS ident_index
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`;

async function ensurePublication(
  client: Client,
  options: PrepareReplicationOptions,
  problems: string[],
): Promise<void> {
  const name = client.escapeIdentifier(options.publication);
  const tables = options.tables.map((needs) => needs.table);
  const found = await client.query<Record<string, boolean>>(
    'SELECT puballtables, pubinsert, pubupdate, pubdelete, pubtruncate FROM pg_publication WHERE pubname = $1',
    [options.publication],
  );
  const publication = found.rows[0];
  if (!publication) {
    const create = `CREATE PUBLICATION ${name} FOR TABLE ${tables.map((table) => quoteTable(client, table)).join(', ')}`;
    await tolerateDuplicate(client.query(create), (error) =>
      problems.push(`cannot create the publication (${message(error)}): run ${create} as the table owner`),
    );
    return;
  }
  const unpublished = PUBLISHED_OPERATIONS.filter((operation) => !publication[`pub${operation}`]);
  if (unpublished.length > 0) {
    problems.push(
      `publication ${options.publication} does not publish ${unpublished.join(', ')}: ALTER PUBLICATION ${name} SET (publish = 'insert, update, delete, truncate');`,
    );
  }
  const published = await client.query<{ row: Record<string, unknown> }>(
    'SELECT to_jsonb(t) AS row FROM pg_publication_tables t WHERE pubname = $1',
    [options.publication],
  );
  const names = new Set<string>();
  for (const { row } of published.rows) {
    const table = `${String(row['schemaname'])}.${String(row['tablename'])}`;
    names.add(table);
    if (row['rowfilter'] !== null && row['rowfilter'] !== undefined && tables.includes(table)) {
      problems.push(
        `publication ${options.publication} filters the rows of ${table}: changes it hides would never invalidate; publish the table without a WHERE clause`,
      );
    }
  }
  const missing = tables.filter((table) => !names.has(table));
  if (missing.length === 0 || publication['puballtables']) return;
  const alter = `ALTER PUBLICATION ${name} ADD TABLE ${missing.map((table) => quoteTable(client, table)).join(', ')}`;
  await tolerateDuplicate(client.query(alter), (error) =>
    problems.push(
      `publication ${options.publication} lacks ${missing.join(', ')} and adding them failed (${message(error)}): run ${alter}`,
    ),
  );
}

async function ensureSlot(client: Client, slot: string): Promise<boolean> {
  const found = await client.query<{ plugin: string; database: string; slot_type: string }>(
    'SELECT plugin, database, slot_type FROM pg_replication_slots WHERE slot_name = $1',
    [slot],
  );
  const existing = found.rows[0];
  if (existing) {
    if (
      existing.slot_type !== 'logical' ||
      existing.plugin !== 'pgoutput' ||
      existing.database !== client.database
    ) {
      throw invalid([
        `replication slot ${slot} is a ${existing.slot_type} slot of plugin ${existing.plugin} on database ${existing.database}; the worker needs a pgoutput slot on ${client.database}: pick another slot name, or drop it with SELECT pg_drop_replication_slot('${slot}')`,
      ]);
    }
    return false;
  }
  let created = true;
  await tolerateDuplicate(
    client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]),
    (error) => {
      throw invalid([
        `cannot create replication slot ${slot} (${message(error)}): the user needs the REPLICATION attribute (the rds_replication role on RDS), and max_replication_slots a free slot`,
      ]);
    },
    () => {
      created = false;
    },
  );
  return created;
}

/** Await a CREATE; a duplicate (another worker was first) is fine, any other error calls `onError`. */
async function tolerateDuplicate(
  query: Promise<unknown>,
  onError: (error: unknown) => void,
  onDuplicate: () => void = () => undefined,
): Promise<void> {
  try {
    await query;
  } catch (error) {
    if ((error as { code?: string }).code === '42710') onDuplicate();
    else onError(error);
  }
}

function splitTable(table: string): [string, string] {
  const dot = table.indexOf('.');
  return dot < 0 ? ['public', table] : [table.slice(0, dot), table.slice(dot + 1)];
}

function quoteTable(client: Client, table: string): string {
  return splitTable(table)
    .map((part) => client.escapeIdentifier(part))
    .join('.');
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function invalid(problems: readonly string[]): CdcCacheError {
  return new CdcCacheError(
    'CDC_CONFIG_INVALID',
    `PostgreSQL is not ready for logical replication:\n  - ${problems.join('\n  - ')}`,
    { details: { problems } },
  );
}
