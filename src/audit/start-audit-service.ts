import { collectDefaultMetrics, Registry } from 'prom-client';
import { type Keyspace, loadKeyspace } from '../keyspace';
import type { WorkerLogger } from '../runtimes/kafka-worker/worker-logger';
import { createWorkerRedis, type WorkerRedisConfig } from '../runtimes/shared/create-worker-redis';
import { startHealthServer } from '../runtimes/shared/health-server';
import { formatAuditSummary, registerAuditMetrics } from './audit-metrics';
import { type Auditor, createAuditor } from './create-auditor';

/** The settings every `cdc-cache audit` source shares (see `auditOptions` and `cacheTargetOptions`). */
export interface AuditServiceConfig extends WorkerRedisConfig {
  readonly keyspace: string;
  readonly keyPrefix?: string | undefined;
  readonly httpPort: number;
  readonly auditDelays: readonly number[];
  readonly auditRecheckMs: number;
  readonly auditMaxPending: number;
  readonly auditSampleRate: number;
  readonly auditSummaryMs: number;
}

/** A running audit service; its source feeds `auditor.observe`. */
export interface AuditService {
  readonly auditor: Auditor;
  readonly keyspace: Keyspace;
  /** Port of /healthz, /readyz and /metrics. */
  readonly httpPort: number;
  /** Stop checking, log a last summary, close Redis and the health server. */
  stop(): Promise<void>;
}

/**
 * Everything `cdc-cache audit` runs besides its source: the keyspace, a Redis client it only reads with,
 * the auditor and its metrics on the workers' /metrics server, and the periodic summary line.
 *
 * @example
 * const service = await startAuditService(config, { logger, isReady: () => consumer.status().joined })
 * consumer.run(async (batch) => service.auditor.observe(decode(batch)))
 */
export async function startAuditService(
  config: AuditServiceConfig,
  { logger, isReady }: { logger: WorkerLogger; isReady: () => boolean },
): Promise<AuditService> {
  const keyspace = await loadKeyspace(config.keyspace);
  const workerRedis = await createWorkerRedis(config);
  const redis = workerRedis.port;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  let auditor: Auditor | undefined;
  const record = registerAuditMetrics(registry, () => auditor!.stats());
  auditor = createAuditor({
    keyspace,
    redis,
    ...(config.keyPrefix === undefined ? {} : { prefix: config.keyPrefix }),
    delaysMs: config.auditDelays,
    recheckMs: config.auditRecheckMs,
    maxPending: config.auditMaxPending,
    sampleRate: config.auditSampleRate,
    onEvent: (event) => {
      record(event);
      if (event.type === 'checked' && !event.consistent) {
        logger.warn({ delayMs: event.delayMs, key: event.key, verdict: event.verdict }, 'inconsistent entry');
      } else if (event.type === 'read-error') {
        logger.warn({ err: event.error }, 'cannot read Redis: checks retried');
      }
    },
  });
  const started = auditor;
  let health: Awaited<ReturnType<typeof startHealthServer>>;
  try {
    health = await startHealthServer({ port: config.httpPort, isReady, registry });
  } catch (error) {
    await workerRedis.close();
    throw error;
  }
  const summarize = () => {
    const stats = started.stats();
    logger.info({ audit: stats }, formatAuditSummary(stats));
  };
  const summary = setInterval(summarize, config.auditSummaryMs);
  summary.unref();
  started.start();
  return {
    auditor: started,
    keyspace,
    httpPort: health.port,
    async stop() {
      clearInterval(summary);
      await started.stop();
      summarize();
      await workerRedis.close();
      await health.close();
    },
  };
}
