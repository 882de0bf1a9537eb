import type { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
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
    [{ CDC_CACHE_REDIS_URL: 'redis://x' }, /CDC_CACHE_KEYSPACE: required/],
    [{ CDC_CACHE_KEYSPACE: 'k.json' }, /CDC_CACHE_REDIS_URL: required/],
    [{ CDC_CACHE_KEYSPACE: 'k.json', CDC_CACHE_REDIS_URL: 'http://x' }, /rediss:\/\//],
    [
      { CDC_CACHE_KEYSPACE: 'k.json', CDC_CACHE_REDIS_URL: 'redis://x', CDC_CACHE_REDIS_CLUSTER: 'yes' },
      /CLUSTER/,
    ],
  ])('names the bad variable (%o)', (env, message) => {
    expect(() => readLambdaConfig(env)).toThrow(message);
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
