import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { CdcCacheError } from '../../../src/errors';
import { readLambdaConfig } from '../../../src/lambda';
import { readPasswordSecret } from '../../../src/lambda/lambda-environment';

describe('readLambdaConfig', () => {
  it('reads the shared CDC_CACHE_* names', () => {
    // Act
    const config = readLambdaConfig({
      CDC_CACHE_KEYSPACE: '/var/task/keyspace.json',
      CDC_CACHE_REDIS_URL: 'rediss://cache.example.com:6379',
      CDC_CACHE_REDIS_CLUSTER: 'true',
      CDC_CACHE_KEY_PREFIX: 'shop:',
      CDC_CACHE_KAFKA_BROKERS: 'a:9092, b:9092',
      CDC_CACHE_DYNAMODB_VERSION_ATTRIBUTE: 'rev',
    });

    // Assess
    expect(config).toMatchObject({
      keyspacePath: '/var/task/keyspace.json',
      redisCluster: true,
      prefix: 'shop:',
      kafkaBrokers: ['a:9092', 'b:9092'],
      versionAttribute: 'rev',
      logLevel: 'info',
    });
  });

  it.each([
    [{ CDC_CACHE_REDIS_URL: 'redis://x' }, /keyspace is required: set CDC_CACHE_KEYSPACE$/m],
    [{ CDC_CACHE_KEYSPACE: 'k.json' }, /redisUrl is required: set CDC_CACHE_REDIS_URL$/m],
    [
      { CDC_CACHE_KEYSPACE: 'k.json', CDC_CACHE_REDIS_URL: 'http://x' },
      /redisUrl \(CDC_CACHE_REDIS_URL\): expected a redis: or rediss: URL/,
    ],
    [
      { CDC_CACHE_KEYSPACE: 'k.json', CDC_CACHE_REDIS_URL: 'redis://x', CDC_CACHE_REDIS_CLUSTER: 'maybe' },
      /CLUSTER/,
    ],
  ])('names the bad variable (%o)', (env, message) => {
    expect(() => readLambdaConfig(env)).toThrow(message);
  });

  it("reads the dead-letter producer settings with the workers' parsers, and reports every problem at once", () => {
    // Prepare
    const base = { CDC_CACHE_KEYSPACE: 'k.json', CDC_CACHE_REDIS_URL: 'rediss://cache:6379' };

    // Act
    const config = readLambdaConfig({
      ...base,
      CDC_CACHE_DLQ_TOPIC: 'orders.dlq',
      CDC_CACHE_KAFKA_SSL: 'true',
      CDC_CACHE_KAFKA_SASL_MECHANISM: 'aws-msk-iam',
    });
    let error: unknown;
    try {
      readLambdaConfig({
        ...base,
        CDC_CACHE_KAFKA_SASL_MECHANISM: 'kerberos',
        CDC_CACHE_REDIS_WAIT_TIMEOUT_MS: '0',
      });
    } catch (caught) {
      error = caught;
    }

    // Assess
    expect(config).toMatchObject({
      dlqTopic: 'orders.dlq',
      kafkaBrokers: [],
      kafka: { clientId: 'cdc-cache-lambda', ssl: true, saslMechanism: 'aws-msk-iam' },
    });
    expect(readLambdaConfig(base).dlqTopic).toBeUndefined();
    expect(error).toBeInstanceOf(CdcCacheError);
    expect((error as CdcCacheError).code).toBe('CDC_CONFIG_INVALID');
    expect((error as Error).message).toContain(
      'saslMechanism (CDC_CACHE_KAFKA_SASL_MECHANISM): expected one of',
    );
    expect((error as Error).message).toContain('redisWaitTimeoutMs (CDC_CACHE_REDIS_WAIT_TIMEOUT_MS)');
  });
});

describe('readPasswordSecret', () => {
  const client = (secret: string) => ({
    send: jest.fn(async (command: GetSecretValueCommand) => {
      expect(command.input.SecretId).toBe('arn:secret');
      return { SecretString: secret };
    }),
  });

  it('reads a plain secret and a JSON secret with a password field', async () => {
    await expect(readPasswordSecret(client('s3cret') as never, 'arn:secret')).resolves.toBe('s3cret');
    await expect(
      readPasswordSecret(client('{"username":"u","password":"p|w"}') as never, 'arn:secret'),
    ).resolves.toBe('p|w');
  });
});
