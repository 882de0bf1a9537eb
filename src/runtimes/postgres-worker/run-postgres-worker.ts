import { Client, type ClientConfig } from 'pg';
import { loadKeyspace } from '../../keyspace';
import { keyspaceTables } from '../../observability/record-metrics';
import { pgoutputStreamOpener, prepareReplication, readSlotStatus } from '../../sources/postgres';
import { createRuntimeMetrics } from '../shared/create-runtime-metrics';
import { createWorkerEngine } from '../shared/create-worker-engine';
import { createWorkerRedis } from '../shared/create-worker-redis';
import { startHealthServer } from '../shared/health-server';
import { createPostgresWorker, type PostgresWorkerLogger } from './create-postgres-worker';
import { keyspaceTableNeeds } from './keyspace-table-needs';
import { createPostgresDeadLetters } from './postgres-dead-letters';
import type { PostgresWorkerConfig } from './postgres-worker-config';
import { createPostgresWorkerMetrics } from './postgres-worker-metrics';

/** A worker started by {@link runPostgresWorker}. */
export interface RunningPostgresWorker {
  /** Apply and acknowledge what was received, release the slot, then close Redis and the health server. */
  stop(): Promise<void>;
  /** Port of /healthz, /readyz and /metrics. */
  readonly httpPort: number;
}

/**
 * Build and start everything `cdc-cache worker postgres` runs: keyspace, checks and setup of publication
 * and slot, Redis, engine, the replication stream, metrics and the health server.
 *
 * @example
 * const worker = await runPostgresWorker(config, { logger: pino() })
 * process.once('SIGTERM', () => worker.stop())
 */
export async function runPostgresWorker(
  config: PostgresWorkerConfig,
  { logger }: { logger: PostgresWorkerLogger },
): Promise<RunningPostgresWorker> {
  const keyspace = await loadKeyspace(config.keyspace);
  const tables = keyspaceTableNeeds(keyspace, config.tables);
  const prefix = config.keyPrefix ?? keyspace.prefix;
  const connection: ClientConfig = {
    connectionString: config.postgresUrl,
    ...(config.postgresPassword === undefined ? {} : { password: config.postgresPassword }),
    connectionTimeoutMillis: 10_000,
    application_name: 'cdc-cache-worker',
  };
  const setupClient = new Client(connection);
  await setupClient.connect();
  let setup: Awaited<ReturnType<typeof prepareReplication>>;
  try {
    setup = await prepareReplication(setupClient, {
      slot: config.slot,
      publication: config.publication,
      tables,
    });
  } finally {
    await setupClient.end().catch(() => undefined);
  }
  if (setup.createdSlot) {
    logger.warn(
      { slot: config.slot },
      'cdc-cache: created the replication slot; changes committed before now were never captured, so values cached earlier may be stale (flush them once)',
    );
  }

  const workerRedis = await createWorkerRedis(config);
  const redis = workerRedis.port;
  const { registry, instrumentation } = createRuntimeMetrics();
  const engine = createWorkerEngine(config, { keyspace, redis, instrumentation, logger });
  let statusClient: Client | undefined;
  const slotStatus = async () => {
    if (!statusClient) {
      const client = new Client(connection);
      client.on('error', () => undefined);
      await client.connect();
      statusClient = client;
    }
    try {
      return await readSlotStatus(statusClient, config.slot);
    } catch (error) {
      const broken = statusClient;
      statusClient = undefined;
      await broken.end().catch(() => undefined);
      throw error;
    }
  };
  const worker = createPostgresWorker({
    slot: config.slot,
    engine,
    open: pgoutputStreamOpener({ connection, slot: config.slot, publication: config.publication }),
    deadLetters: createPostgresDeadLetters({ redis, prefix, slot: config.slot }),
    logger,
    metrics: createPostgresWorkerMetrics(registry, keyspaceTables(keyspace)),
    primaryKeys: setup.primaryKeys,
    slotStatus,
    batchSize: config.batchSize,
    maxPending: config.maxPending,
    statusIntervalMs: config.statusIntervalMs,
    lagIntervalMs: config.lagIntervalMs,
    maxRetainedBytes: config.maxRetainedMb * 1024 ** 2,
    retryMaxMs: config.retryMaxMs,
  });
  const close = async () => {
    await engine.close();
    await workerRedis.close();
    await statusClient?.end().catch(() => undefined);
  };
  let health: Awaited<ReturnType<typeof startHealthServer>>;
  try {
    health = await startHealthServer({ port: config.httpPort, isReady: worker.isReady, registry });
  } catch (error) {
    await close();
    throw error;
  }
  worker.start();
  logger.info(
    {
      slot: config.slot,
      publication: config.publication,
      tables: tables.map((needs) => needs.table),
      httpPort: health.port,
      redisClient: redis.kind,
    },
    'cdc-cache PostgreSQL worker started',
  );
  return {
    httpPort: health.port,
    async stop() {
      await worker.stop();
      await close();
      await health.close();
    },
  };
}
