export {
  createPostgresWorker,
  POSTGRES_WORKER_DEFAULTS,
  type PostgresDeadLetter,
  type PostgresDeadLetterSink,
  type PostgresWorker,
  type PostgresWorkerLogger,
  type PostgresWorkerOptions,
} from './create-postgres-worker';
export { keyspaceTableNeeds } from './keyspace-table-needs';
export { createPostgresDeadLetters, type PostgresDeadLettersOptions } from './postgres-dead-letters';
export { type PostgresWorkerConfig, postgresWorkerConfigSchema } from './postgres-worker-config';
export { createPostgresWorkerMetrics, type PostgresWorkerMetrics } from './postgres-worker-metrics';
export { type RunningPostgresWorker, runPostgresWorker } from './run-postgres-worker';
