import { cacheTargetOptions, processOptions, retryOptions } from '../shared/common-options';
import { type ConfigValues, defineOption, parsers, typed, withDefault } from '../shared/config-schema';
import { POSTGRES_WORKER_DEFAULTS } from './create-postgres-worker';

/** A slot or publication name PostgreSQL accepts unquoted (slots allow only these characters). */
export const slotName = typed('name [a-z0-9_]{1,63}', (raw: string): string => {
  if (!/^[a-z0-9_]{1,63}$/.test(raw)) throw new Error(`expected 1 to 63 of a-z, 0-9 and _, got '${raw}'`);
  return raw;
});

/**
 * Every option of `cdc-cache worker postgres`, as data: `--help` and the docs' reference come from it.
 *
 * @example
 * const resolved = resolveConfig(postgresWorkerConfigSchema, { argv, env: process.env })
 */
export const postgresWorkerConfigSchema = {
  postgresUrl: defineOption({
    env: 'CDC_CACHE_POSTGRES_URL',
    flag: 'postgres-url',
    description:
      'PostgreSQL primary, e.g. postgres://cdc@db:5432/app?sslmode=require; the user needs REPLICATION (rds_replication on RDS)',
    parse: parsers.url(['postgres:', 'postgresql:']),
    required: true,
  }),
  postgresPassword: defineOption({
    env: 'CDC_CACHE_POSTGRES_PASSWORD',
    flag: 'postgres-password',
    description: 'PostgreSQL password (overrides the URL)',
    parse: parsers.string,
    secret: true,
  }),
  slot: defineOption({
    env: 'CDC_CACHE_POSTGRES_SLOT',
    flag: 'slot',
    description:
      'Logical replication slot (pgoutput), created if missing; workers sharing it take over from each other',
    parse: slotName,
    default: 'cdc_cache',
  }),
  publication: defineOption({
    env: 'CDC_CACHE_POSTGRES_PUBLICATION',
    flag: 'publication',
    description: "Publication of the keyspace's tables, created (or extended) if missing",
    parse: slotName,
    default: 'cdc_cache',
  }),
  tables: defineOption({
    env: 'CDC_CACHE_POSTGRES_TABLES',
    flag: 'tables',
    description:
      "The keyspace's tables in this database, as schema.table (default: every table source of the keyspace)",
    parse: parsers.list,
  }),
  ...cacheTargetOptions,
  batchSize: defineOption({
    env: 'CDC_CACHE_POSTGRES_BATCH_SIZE',
    flag: 'batch-size',
    description: 'Most changes applied in one Redis pipeline',
    parse: parsers.integer({ min: 1, max: 100_000 }),
    default: POSTGRES_WORKER_DEFAULTS.batchSize,
  }),
  maxPending: defineOption({
    env: 'CDC_CACHE_POSTGRES_MAX_PENDING',
    flag: 'max-pending',
    description:
      'Changes held in memory while Redis is slow or down; beyond it they are re-read from the slot later',
    parse: parsers.integer({ min: 1, max: 10_000_000 }),
    default: POSTGRES_WORKER_DEFAULTS.maxPending,
  }),
  statusIntervalMs: defineOption({
    env: 'CDC_CACHE_POSTGRES_STATUS_INTERVAL_MS',
    flag: 'status-interval-ms',
    description:
      'How often the applied position is reported to PostgreSQL when nothing changes (keep it under wal_sender_timeout)',
    parse: parsers.integer({ min: 100, max: 600_000 }),
    default: POSTGRES_WORKER_DEFAULTS.statusIntervalMs,
  }),
  lagIntervalMs: defineOption({
    env: 'CDC_CACHE_POSTGRES_LAG_INTERVAL_MS',
    flag: 'lag-interval-ms',
    description: 'How often the slot lag and retained WAL are read for /metrics',
    parse: parsers.integer({ min: 100, max: 600_000 }),
    default: POSTGRES_WORKER_DEFAULTS.lagIntervalMs,
  }),
  maxRetainedMb: defineOption({
    env: 'CDC_CACHE_POSTGRES_MAX_RETAINED_MB',
    flag: 'max-retained-mb',
    description:
      'Log a warning while the slot keeps more WAL than this on the primary (an abandoned slot fills the disk)',
    parse: parsers.integer({ min: 1, max: 100_000_000 }),
    default: POSTGRES_WORKER_DEFAULTS.maxRetainedBytes / 1024 ** 2,
  }),
  retryMaxMs: withDefault(retryOptions.retryMaxMs, POSTGRES_WORKER_DEFAULTS.retryMaxMs),
  ...processOptions,
};

/** The resolved configuration of `cdc-cache worker postgres`. */
export type PostgresWorkerConfig = ConfigValues<typeof postgresWorkerConfigSchema>;
