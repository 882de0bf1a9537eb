import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { loadKeyspace } from '../../keyspace';
import { createStreamReader } from '../../sources/dynamodb';
import { createRuntimeMetrics } from '../shared/create-runtime-metrics';
import { createWorkerEngine } from '../shared/create-worker-engine';
import { createWorkerRedis } from '../shared/create-worker-redis';
import { startHealthServer } from '../shared/health-server';
import { createDynamoDbWorker, type DynamoDbWorkerLogger } from './create-dynamodb-worker';
import type { DynamoDbWorkerConfig } from './dynamodb-worker-config';
import { createDynamoDbWorkerMetrics } from './dynamodb-worker-metrics';
import { createRedisDeadLetters } from './redis-dead-letters';
import { createShardStore } from './shard-store';

/** A worker started by {@link runDynamoDbWorker}. */
export interface RunningDynamoDbWorker {
  /** Finish in-flight pages, checkpoint, release leases, then close Redis, the AWS clients and the health server. */
  stop(): Promise<void>;
  /** Port of /healthz, /readyz and /metrics. */
  readonly httpPort: number;
}

/**
 * Build and start everything `cdc-cache worker dynamodb` runs: keyspace, Redis, engine, Streams reader,
 * shard store, metrics and the health server.
 *
 * @example
 * const worker = await runDynamoDbWorker(config, { logger: pino() })
 * process.once('SIGTERM', () => worker.stop())
 */
export async function runDynamoDbWorker(
  config: DynamoDbWorkerConfig,
  { logger }: { logger: DynamoDbWorkerLogger },
): Promise<RunningDynamoDbWorker> {
  const keyspace = await loadKeyspace(config.keyspace);
  const prefix = config.keyPrefix ?? keyspace.prefix;
  const workerRedis = await createWorkerRedis(config);
  const redis = workerRedis.port;
  const { registry, instrumentation } = createRuntimeMetrics();
  const engine = createWorkerEngine(config, { keyspace, redis, instrumentation, logger });
  const reader = createStreamReader({
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.region ? { region: config.region } : {}),
  });
  const owner = `${hostname()}:${process.pid}:${randomUUID()}`;
  const worker = createDynamoDbWorker({
    table: config.table,
    keyspace,
    engine,
    reader,
    store: createShardStore({ redis, prefix, table: config.table, owner, leaseMs: config.leaseMs }),
    deadLetters: createRedisDeadLetters({
      redis,
      prefix,
      table: config.table,
      maxLength: config.deadLetterMaxLength,
      retentionMs: config.deadLetterRetentionMs,
    }),
    logger,
    metrics: createDynamoDbWorkerMetrics(registry, config.table),
    ...(config.versionAttribute ? { versionAttribute: config.versionAttribute } : {}),
    batchSize: config.batchSize,
    idleMs: config.idleMs,
    leaseMs: config.leaseMs,
    discoveryMs: config.discoveryMs,
    initialPosition: config.initialPosition,
    retryMaxMs: config.retryMaxMs,
  });
  const close = async () => {
    await engine.close();
    await workerRedis.close();
    reader.destroy();
  };
  const health = await startHealthServer({ port: config.httpPort, isReady: worker.isReady, registry });
  try {
    await worker.start();
  } catch (error) {
    await health.close();
    await close();
    throw error;
  }
  logger.info(
    { table: config.table, owner, httpPort: health.port, redisClient: redis.kind },
    'cdc-cache DynamoDB worker started',
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
