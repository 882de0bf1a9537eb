import { type GlideLike, glideDriver } from '../../../redis/adapters/glide-driver';
import type { PortDriver } from '../../../redis/adapters/port-driver';
import type { ElastiCacheIamAuth } from '../../../redis/iam/elasticache-iam-auth';
import { keepPasswordFresh } from './keep-password-fresh';
import { loadClientLibrary } from './load-client-library';
import type { WorkerRedisTarget } from './worker-redis-target';

/** The part of Valkey GLIDE 2.x used here. */
interface GlideModule {
  Logger: { init(level: 'error'): void };
  GlideClient: { createClient(options: object): Promise<GlideClientLike> };
  GlideClusterClient: { createClient(options: object): Promise<GlideClientLike> };
}

type GlideClientLike = GlideLike & {
  updateConnectionPassword(password: string | null, immediateAuth?: boolean): Promise<unknown>;
};

/**
 * The GLIDE configuration of a worker: lazy connection (created while Redis is down, commands then fail
 * after the connect timeout), a request timeout, TLS for `rediss://`, and credentials: an ACL password, or
 * ElastiCache IAM. On a node-based cache GLIDE signs and refreshes the IAM token itself (`iamConfig`, every
 * 300 s by default); on Serverless, whose tokens GLIDE cannot sign (no `ResourceType=ServerlessCache`,
 * valkey-io/valkey-glide#5248), `iamToken` is a token signed by cdc-cache, refreshed by `openGlide`.
 * Exported for the unit test of what the options become.
 */
export function glideClientConfiguration(target: WorkerRedisTarget, iamToken?: string) {
  return {
    addresses: [{ host: target.host, port: target.port }],
    useTLS: target.tls,
    ...credentials(target, iamToken),
    requestTimeout: target.commandTimeoutMs,
    lazyConnect: true,
    advancedConfiguration: { connectionTimeout: target.connectTimeoutMs },
  };
}

function credentials(target: WorkerRedisTarget, iamToken: string | undefined) {
  if (target.iam?.serverless) return { credentials: { username: target.iam.username, password: iamToken } };
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

/**
 * A GLIDE client (standalone or cluster) for a worker. With IAM on Serverless, `iam` signs the first token
 * and a new one every refresh interval, given to GLIDE for its next reconnection (`updateConnectionPassword`).
 */
export async function openGlide(
  target: WorkerRedisTarget,
  iam?: ElastiCacheIamAuth,
  onIamError?: (error: unknown) => void,
): Promise<PortDriver> {
  const glide = loadClientLibrary<GlideModule>('glide');
  // GLIDE's core prints a warning per failed reconnection on stdout; the worker logs outages itself. `init`
  // leaves a logger the process configured alone.
  glide.Logger.init('error');
  const factory = target.cluster ? glide.GlideClusterClient : glide.GlideClient;
  const signed = target.iam?.serverless && iam ? iam : undefined;
  const client = await factory.createClient(glideClientConfiguration(target, await signed?.token()));
  return keepPasswordFresh(glideDriver(client), client, signed, onIamError);
}
