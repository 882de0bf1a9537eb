import { type GlideLike, glideDriver } from '../../../redis/adapters/glide-driver';
import type { PortDriver } from '../../../redis/adapters/port-driver';
import { loadClientLibrary } from './load-client-library';
import type { WorkerRedisTarget } from './worker-redis-target';

/** The part of Valkey GLIDE 2.x used here. */
interface GlideModule {
  Logger: { init(level: 'error'): void };
  GlideClient: { createClient(options: object): Promise<GlideLike> };
  GlideClusterClient: { createClient(options: object): Promise<GlideLike> };
}

/**
 * The GLIDE configuration of a worker: lazy connection (created while Redis is down, commands then fail
 * after the connect timeout), a request timeout, TLS for `rediss://`, and credentials: an ACL password,
 * or ElastiCache IAM (`iamConfig`: GLIDE signs the token and refreshes it, every 300 s by default).
 * Exported for the unit test of what the options become.
 */
export function glideClientConfiguration(target: WorkerRedisTarget) {
  return {
    addresses: [{ host: target.host, port: target.port }],
    useTLS: target.tls,
    ...credentials(target),
    requestTimeout: target.commandTimeoutMs,
    lazyConnect: true,
    advancedConfiguration: { connectionTimeout: target.connectTimeoutMs },
  };
}

function credentials(target: WorkerRedisTarget) {
  if (target.iam)
    return {
      credentials: {
        username: target.iam.username,
        // ServiceType.Elasticache of GLIDE (a string enum).
        iamConfig: { clusterName: target.iam.cacheName, service: 'Elasticache', region: target.iam.region },
      },
    };
  if (target.password === undefined) return {};
  return {
    credentials: {
      ...(target.username === undefined ? {} : { username: target.username }),
      password: target.password,
    },
  };
}

/** A GLIDE client (standalone or cluster) for a worker. */
export async function openGlide(target: WorkerRedisTarget): Promise<PortDriver> {
  const glide = loadClientLibrary<GlideModule>('glide');
  // GLIDE's core prints a warning per failed reconnection on stdout; the worker logs outages itself. `init`
  // leaves a logger the process configured alone.
  glide.Logger.init('error');
  const factory = target.cluster ? glide.GlideClusterClient : glide.GlideClient;
  return glideDriver(await factory.createClient(glideClientConfiguration(target)));
}
