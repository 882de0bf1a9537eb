import { CdcCacheError } from '../../errors';
import {
  type AwsCredentials,
  type AwsCredentialsProvider,
  signElastiCacheIamToken,
} from './elasticache-iam-token';

/** How often {@link ElastiCacheIamAuth.keepPasswordFresh} signs a new token: well inside its 15 minutes. */
export const IAM_TOKEN_REFRESH_INTERVAL_MS = 300_000;

/** The ElastiCache cache and IAM-enabled user that tokens are signed for. */
export interface ElastiCacheIamAuthOptions {
  /** The replication group ID or the serverless cache name (not an endpoint). */
  readonly cacheName: string;
  /** The IAM-enabled ElastiCache user: its user ID, which is also its user name. */
  readonly userId: string;
  readonly region: string;
  /** An ElastiCache Serverless cache (its tokens name `ResourceType=ServerlessCache`). */
  readonly serverless: boolean;
  /** Default: the AWS SDK's default credential chain (environment, profile, container or instance role). */
  readonly credentials?: AwsCredentials | AwsCredentialsProvider | undefined;
  /** How often `keepPasswordFresh` signs a new token; default {@link IAM_TOKEN_REFRESH_INTERVAL_MS}. */
  readonly refreshIntervalMs?: number | undefined;
  /** The signing clock (tests); default the system clock. */
  readonly now?: (() => Date) | undefined;
}

/** node-redis 5/6 `credentialsProvider`: called for every connection, so each one gets a fresh token. */
export interface NodeRedisIamCredentialsProvider {
  readonly type: 'async-credentials-provider';
  credentials(): Promise<{ username: string; password: string }>;
}

/** A client that keeps a password for its reconnections: ioredis `Redis` or `Cluster`, or a GLIDE client. */
export type PasswordClient =
  | { updateConnectionPassword(password: string | null, immediateAuth?: boolean): Promise<unknown> }
  | { options: { redisOptions?: { password?: string | undefined } }; nodes(role?: 'all'): unknown[] }
  | { options: { password?: string | undefined } };

/** ElastiCache IAM authentication for any client library; see {@link elasticacheIamAuth}. */
export interface ElastiCacheIamAuth {
  /** The user name to authenticate as (the user ID). */
  readonly username: string;
  /** A token signed now: the password of a new connection, valid 15 minutes. */
  token(): Promise<string>;
  /** For node-redis: `createClient({ credentialsProvider, ... })` (or the cluster's `defaults`). */
  readonly credentialsProvider: NodeRedisIamCredentialsProvider;
  /**
   * For ioredis and GLIDE, which keep one password for every reconnection: sign a new token every
   * `refreshIntervalMs` and give it to the client (ioredis' options, and every Cluster node's; GLIDE's
   * `updateConnectionPassword`), so a reconnection never presents an expired token. Open connections are
   * not re-authenticated (ElastiCache checks a token only when a connection authenticates). A failed
   * signing keeps the previous token and goes to `onError`; the next interval tries again. `stop()` ends it.
   */
  keepPasswordFresh(client: PasswordClient, onError?: (error: unknown) => void): { stop(): void };
}

/**
 * ElastiCache IAM authentication (node-based or Serverless caches) for node-redis, ioredis and GLIDE,
 * with tokens signed here (SigV4, `@smithy/signature-v4`) from the AWS credentials.
 *
 * @example
 * const auth = elasticacheIamAuth({ cacheName: 'my-cache', userId: 'cdc-cache-reader', region: 'eu-west-1', serverless: true })
 * const redis = await createClient({ url: 'rediss://my-cache-abc123.serverless.euw1.cache.amazonaws.com:6379', credentialsProvider: auth.credentialsProvider }).connect()
 */
export function elasticacheIamAuth(options: ElastiCacheIamAuthOptions): ElastiCacheIamAuth {
  for (const name of ['cacheName', 'userId', 'region'] as const)
    if (!options[name])
      throw new CdcCacheError('CDC_INVALID_OPTION', `elasticacheIamAuth: '${name}' is required`);
  const credentials = options.credentials ?? defaultCredentials();
  const token = () =>
    signElastiCacheIamToken({
      cacheName: options.cacheName,
      userId: options.userId,
      region: options.region,
      serverless: options.serverless,
      credentials,
      now: options.now?.() ?? new Date(),
    });
  return {
    username: options.userId,
    token,
    credentialsProvider: {
      type: 'async-credentials-provider',
      credentials: async () => ({ username: options.userId, password: await token() }),
    },
    keepPasswordFresh(client, onError = () => undefined) {
      const refresh = () =>
        token()
          .then((password) => setPassword(client, password))
          .catch(onError);
      const timer = setInterval(refresh, options.refreshIntervalMs ?? IAM_TOKEN_REFRESH_INTERVAL_MS);
      // The refresh alone never keeps a process alive.
      timer.unref();
      return { stop: () => clearInterval(timer) };
    },
  };
}

async function setPassword(client: PasswordClient, password: string): Promise<void> {
  if ('updateConnectionPassword' in client) {
    // false: stored for the next (re)connection; open connections stay authenticated.
    await client.updateConnectionPassword(password, false);
    return;
  }
  if ('nodes' in client) {
    // ioredis Cluster: a node connection lost is replaced by a new one built from `redisOptions` (the one
    // that matters, see the rotation test); a node that reconnects itself (clusterNodeRetryStrategy) reads
    // its own options.
    if (client.options.redisOptions) client.options.redisOptions.password = password;
    for (const node of client.nodes('all') as { options: { password?: string } }[])
      node.options.password = password;
    return;
  }
  // ioredis reads `options.password` again on every (re)connection.
  client.options.password = password;
}

/**
 * The AWS SDK's default credential chain, memoized (it refreshes expiring role credentials itself), loaded
 * on first use with `require` (the Lambda runtime's SDK is found by CommonJS resolution only).
 */
function defaultCredentials(): AwsCredentialsProvider {
  let provider: AwsCredentialsProvider | undefined;
  return async () => {
    provider ??= (
      require('@aws-sdk/credential-provider-node') as typeof import('@aws-sdk/credential-provider-node')
    ).defaultProvider();
    return provider();
  };
}
