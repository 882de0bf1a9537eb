// The workers' and Lambda handlers' Redis options: what each client library is built from, and the
// combinations refused before any connection is tried (IAM with a client that cannot sign tokens, ...).
import { ServiceType } from '@valkey/valkey-glide';
import type { CdcCacheError } from '../../../src/errors';
import { readLambdaConfig } from '../../../src/lambda/lambda-config';
import { elasticacheIamAuth } from '../../../src/redis/iam/elasticache-iam-auth';
import { loadClientLibrary } from '../../../src/runtimes/shared/worker-redis/load-client-library';
import { glideClientConfiguration } from '../../../src/runtimes/shared/worker-redis/open-glide';
import { nodeRedisClientOptions } from '../../../src/runtimes/shared/worker-redis/open-node-redis';
import {
  type WorkerRedisConfig,
  workerRedisTarget,
} from '../../../src/runtimes/shared/worker-redis/worker-redis-target';

const iam: WorkerRedisConfig = {
  redisUrl: 'rediss://clustercfg.my-cache.abc123.use1.cache.amazonaws.com:6379',
  redisCluster: true,
  redisClient: 'glide',
  redisAuth: 'iam',
  redisUsername: 'cdc-cache-worker',
  redisIamCacheName: 'my-cache',
  redisIamRegion: 'us-east-1',
};

function refusal(config: WorkerRedisConfig, env: Record<string, string> = {}): CdcCacheError {
  try {
    workerRedisTarget(config, env);
  } catch (error) {
    return error as CdcCacheError;
  }
  throw new Error('expected a refusal');
}

describe('workerRedisTarget', () => {
  it('defaults to ioredis with password auth and takes user and password from the URL', () => {
    // Act
    const target = workerRedisTarget({ redisUrl: 'redis://app:p%40ss@cache:6380', redisCluster: false }, {});

    // Assert
    expect(target).toMatchObject({
      library: 'ioredis',
      host: 'cache',
      port: 6380,
      tls: false,
      username: 'app',
      password: 'p@ss',
      iam: undefined,
      commandTimeoutMs: 5_000,
    });
  });

  it('lets the options override the URL and adds the WAIT timeout to the command timeout', () => {
    // Act
    const target = workerRedisTarget(
      {
        redisUrl: 'rediss://app:old@cache',
        redisUsername: 'worker',
        redisPassword: 'new',
        redisCluster: true,
        redisClient: 'node-redis',
        redisWaitTimeoutMs: 1_000,
      },
      {},
    );

    // Assert
    expect(target).toMatchObject({ username: 'worker', password: 'new', tls: true, port: 6379 });
    expect(target.commandTimeoutMs).toBe(6_000);
  });

  it.each([
    ['ioredis', { redisClient: 'ioredis' as const }],
    ['node-redis', { redisClient: 'node-redis' as const }],
    ['the default client (ioredis)', { redisClient: undefined }],
  ])('takes IAM auth with %s (cdc-cache signs the tokens)', (_name, override) => {
    // Act
    const target = workerRedisTarget({ ...iam, ...override }, {});

    // Assert
    expect(target.iam).toEqual({
      username: 'cdc-cache-worker',
      cacheName: 'my-cache',
      region: 'us-east-1',
      serverless: false,
    });
  });

  it('refuses IAM auth without TLS, user, cache name or region, and with a password, all at once', () => {
    // Act
    const error = refusal({
      redisUrl: 'redis://:secret@cache:6379',
      redisCluster: false,
      redisClient: 'glide',
      redisAuth: 'iam',
    });

    // Assert
    expect(error.code).toBe('CDC_CONFIG_INVALID');
    for (const problem of [
      'needs a rediss:// URL',
      'needs CDC_CACHE_REDIS_USERNAME',
      'takes no password',
      'needs CDC_CACHE_REDIS_IAM_CACHE_NAME',
      'needs CDC_CACHE_REDIS_IAM_REGION or AWS_REGION',
    ])
      expect(error.message).toContain(problem);
  });

  it('knows an ElastiCache Serverless endpoint (its tokens name ResourceType=ServerlessCache)', () => {
    // Act
    const serverless = workerRedisTarget(
      { ...iam, redisUrl: 'rediss://my-cache-abc123.serverless.use1.cache.amazonaws.com:6379' },
      {},
    );

    // Assert
    expect(serverless.iam?.serverless).toBe(true);
    expect(workerRedisTarget(iam, {}).iam?.serverless).toBe(false);
  });

  it('takes the IAM region from AWS_REGION when the option is not set', () => {
    // Act
    const target = workerRedisTarget({ ...iam, redisIamRegion: undefined }, { AWS_REGION: 'eu-west-1' });

    // Assert
    expect(target.iam).toEqual({
      username: 'cdc-cache-worker',
      cacheName: 'my-cache',
      region: 'eu-west-1',
      serverless: false,
    });
  });
});

describe('the GLIDE configuration', () => {
  it('signs ElastiCache IAM tokens for the user and cache, over TLS, with the request timeout', () => {
    // Act
    const configuration = glideClientConfiguration(workerRedisTarget(iam, {}));

    // Assert: the shape of GLIDE 2.x ServerCredentials with iamConfig (BaseClient.d.ts)
    expect(configuration).toEqual({
      addresses: [{ host: 'clustercfg.my-cache.abc123.use1.cache.amazonaws.com', port: 6379 }],
      useTLS: true,
      credentials: {
        username: 'cdc-cache-worker',
        iamConfig: { clusterName: 'my-cache', service: ServiceType.Elasticache, region: 'us-east-1' },
      },
      requestTimeout: 5_000,
      lazyConnect: true,
      advancedConfiguration: { connectionTimeout: 5_000 },
    });
  });

  it('on Serverless, authenticates with the token cdc-cache signed (GLIDE cannot sign for Serverless)', () => {
    // Prepare
    const target = workerRedisTarget(
      { ...iam, redisUrl: 'rediss://my-cache-abc123.serverless.use1.cache.amazonaws.com:6379' },
      {},
    );

    // Act
    const configuration = glideClientConfiguration(target, 'my-cache/?Action=connect&User=cdc-cache-worker');

    // Assert
    expect(configuration.credentials).toEqual({
      username: 'cdc-cache-worker',
      password: 'my-cache/?Action=connect&User=cdc-cache-worker',
    });
  });

  it('passes an ACL user and password, and no credentials without a password', () => {
    // Act
    const withPassword = glideClientConfiguration(
      workerRedisTarget({ redisUrl: 'redis://u:p@h:1', redisCluster: false, redisClient: 'glide' }, {}),
    );
    const without = glideClientConfiguration(
      workerRedisTarget({ redisUrl: 'redis://h:1', redisCluster: false, redisClient: 'glide' }, {}),
    );

    // Assert
    expect(withPassword.credentials).toEqual({ username: 'u', password: 'p' });
    expect(without).not.toHaveProperty('credentials');
  });
});

describe('the node-redis options', () => {
  it('fail fast while disconnected, time out, and use TLS for rediss://', () => {
    // Act
    const options = nodeRedisClientOptions(
      workerRedisTarget(
        {
          redisUrl: 'rediss://u:p@h:1',
          redisCluster: false,
          redisClient: 'node-redis',
          redisWaitTimeoutMs: 500,
        },
        {},
      ),
    );

    // Assert
    expect(options).toMatchObject({
      username: 'u',
      password: 'p',
      disableOfflineQueue: true,
      commandOptions: { timeout: 5_500 },
      socket: { connectTimeout: 5_000, tls: true },
    });
    expect(options.socket.reconnectStrategy(20)).toBe(2_000);
  });

  it('with IAM, authenticate through the credentials provider (a token per connection), not a password', () => {
    // Prepare
    const auth = elasticacheIamAuth({
      cacheName: 'my-cache',
      userId: 'cdc-cache-worker',
      region: 'us-east-1',
      serverless: false,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    });

    // Act
    const options = nodeRedisClientOptions(
      workerRedisTarget({ ...iam, redisClient: 'node-redis' }, {}),
      auth,
    );

    // Assert
    expect(options).toMatchObject({ credentialsProvider: auth.credentialsProvider });
    expect(options).not.toHaveProperty('password');
    expect(options).not.toHaveProperty('username');
  });
});

describe('loadClientLibrary', () => {
  it('names the package to install when the chosen library is missing', () => {
    // Arrange: what require throws for a package that is not installed
    const missing = (name: string) => {
      throw Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });
    };

    // Act
    const load = () => loadClientLibrary('glide', missing);

    // Assert
    expect(load).toThrow(
      expect.objectContaining({
        code: 'CDC_CONFIG_INVALID',
        message: expect.stringContaining('@valkey/valkey-glide is not installed'),
      }),
    );
  });

  it('keeps any other failure of the library as it is', () => {
    // Arrange: a missing module inside the library (its native binary, say) is not "not installed"
    const broken = () => {
      throw Object.assign(new Error("Cannot find module './native.node'"), { code: 'MODULE_NOT_FOUND' });
    };

    // Act
    const load = () => loadClientLibrary('node-redis', broken);

    // Assert
    expect(load).toThrow("Cannot find module './native.node'");
  });

  it('loads an installed library', () => {
    expect(loadClientLibrary<{ createClient: unknown }>('node-redis').createClient).toEqual(
      expect.any(Function),
    );
  });
});

describe('the Lambda configuration', () => {
  it('reads the client library and IAM settings from the environment', () => {
    // Act
    const config = readLambdaConfig({
      CDC_CACHE_KEYSPACE: './keyspace.json',
      CDC_CACHE_REDIS_URL: 'rediss://cache:6379',
      CDC_CACHE_REDIS_CLIENT: 'glide',
      CDC_CACHE_REDIS_AUTH: 'iam',
      CDC_CACHE_REDIS_IAM_CACHE_NAME: 'my-cache',
    });

    // Assert
    expect(config).toMatchObject({ redisClient: 'glide', redisAuth: 'iam', redisIamCacheName: 'my-cache' });
  });

  it('refuses a client library it does not know', () => {
    // Act
    const read = () =>
      readLambdaConfig({
        CDC_CACHE_KEYSPACE: './keyspace.json',
        CDC_CACHE_REDIS_URL: 'rediss://cache:6379',
        CDC_CACHE_REDIS_CLIENT: 'jedis',
      });

    // Assert
    expect(read).toThrow(expect.objectContaining({ code: 'CDC_CONFIG_INVALID' }));
  });
});
