import { CdcCacheError } from '../../../errors';
import { WORKER_COMMAND_TIMEOUT_MS } from '../../../redis/create-redis-client';
import type { RedisAuthMode, RedisClientLibrary } from '../common-options';

/** The Redis settings every worker and Lambda handler takes (see `cacheTargetOptions`). */
export interface WorkerRedisConfig {
  readonly redisUrl: string;
  readonly redisUsername?: string | undefined;
  readonly redisPassword?: string | undefined;
  readonly redisCluster: boolean;
  /** `CDC_CACHE_REDIS_CLIENT`; default ioredis. */
  readonly redisClient?: RedisClientLibrary | undefined;
  /** `CDC_CACHE_REDIS_AUTH`; default password. */
  readonly redisAuth?: RedisAuthMode | undefined;
  readonly redisIamCacheName?: string | undefined;
  readonly redisIamRegion?: string | undefined;
  /** The WAIT timeout (`CDC_CACHE_REDIS_WAIT_TIMEOUT_MS`): a command may take that much longer. */
  readonly redisWaitTimeoutMs?: number | undefined;
  /** Longest wait for a reply besides WAIT; default {@link WORKER_COMMAND_TIMEOUT_MS}. */
  readonly redisCommandTimeoutMs?: number | undefined;
}

/** ElastiCache IAM authentication: the user, and what its tokens are signed for. */
export interface IamTarget {
  readonly username: string;
  readonly cacheName: string;
  readonly region: string;
  /** An ElastiCache Serverless endpoint: its tokens name `ResourceType=ServerlessCache`. */
  readonly serverless: boolean;
}

/** Where and how a worker connects, whatever the client library: the options checked and resolved once. */
export interface WorkerRedisTarget {
  readonly library: RedisClientLibrary;
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
  readonly cluster: boolean;
  /** From the options, else from the URL. */
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly iam: IamTarget | undefined;
  /** Longest wait for one reply, WAIT included. */
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

/** An ElastiCache Serverless endpoint: `<cache>-<id>.serverless.<region code>.cache.amazonaws.com`. */
const SERVERLESS_ENDPOINT = /\.serverless\.[a-z0-9-]+\.cache\.amazonaws\.com$/i;

/** Longest wait for a TCP/TLS connection (a new one, or a reconnection). */
export const WORKER_CONNECT_TIMEOUT_MS = 5_000;

/**
 * Check and resolve a worker's Redis options. Refused with `CDC_CONFIG_INVALID`: IAM auth without TLS,
 * user, cache name or region, and IAM together with a password. IAM works with every client library, on
 * node-based and Serverless caches (told apart by the endpoint's name).
 *
 * @example
 * workerRedisTarget({ redisUrl: 'rediss://cache:6379', redisCluster: true, redisClient: 'glide' })
 */
export function workerRedisTarget(
  config: WorkerRedisConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): WorkerRedisTarget {
  const url = new URL(config.redisUrl);
  const library = config.redisClient ?? 'ioredis';
  const tls = url.protocol === 'rediss:';
  const username = config.redisUsername ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = config.redisPassword ?? (url.password ? decodeURIComponent(url.password) : undefined);
  const iam =
    (config.redisAuth ?? 'password') === 'iam'
      ? iamTarget(config, { host: url.hostname, tls, username, password, env })
      : undefined;
  return {
    library,
    url: config.redisUrl,
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(url.port || 6379),
    tls,
    cluster: config.redisCluster,
    username,
    password,
    iam,
    commandTimeoutMs:
      (config.redisCommandTimeoutMs ?? WORKER_COMMAND_TIMEOUT_MS) + (config.redisWaitTimeoutMs ?? 0),
    connectTimeoutMs: WORKER_CONNECT_TIMEOUT_MS,
  };
}

function iamTarget(
  config: WorkerRedisConfig,
  resolved: {
    host: string;
    tls: boolean;
    username: string | undefined;
    password: string | undefined;
    env: Readonly<Record<string, string | undefined>>;
  },
): IamTarget {
  const problems: string[] = [];
  if (!resolved.tls)
    problems.push(
      'CDC_CACHE_REDIS_AUTH=iam needs a rediss:// URL (ElastiCache accepts IAM auth over TLS only)',
    );
  if (resolved.username === undefined)
    problems.push(
      'CDC_CACHE_REDIS_AUTH=iam needs CDC_CACHE_REDIS_USERNAME (the IAM-enabled ElastiCache user)',
    );
  if (resolved.password !== undefined)
    problems.push(
      'CDC_CACHE_REDIS_AUTH=iam takes no password (CDC_CACHE_REDIS_PASSWORD, its secret or the URL): the token replaces it',
    );
  const region = config.redisIamRegion ?? resolved.env.AWS_REGION;
  if (config.redisIamCacheName === undefined)
    problems.push(
      'CDC_CACHE_REDIS_AUTH=iam needs CDC_CACHE_REDIS_IAM_CACHE_NAME (replication group or serverless cache)',
    );
  if (!region) problems.push('CDC_CACHE_REDIS_AUTH=iam needs CDC_CACHE_REDIS_IAM_REGION or AWS_REGION');
  if (problems.length > 0)
    throw new CdcCacheError('CDC_CONFIG_INVALID', `Invalid configuration: ${problems.join('; ')}`);
  return {
    username: resolved.username!,
    cacheName: config.redisIamCacheName!,
    region: region!,
    serverless: SERVERLESS_ENDPOINT.test(resolved.host),
  };
}
