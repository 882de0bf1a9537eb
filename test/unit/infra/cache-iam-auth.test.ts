// `cdc-cache:cacheAuth=iam`: IAM-enabled ElastiCache users, the runtimes on ioredis with tokens they sign
// (ResourceType=ServerlessCache), elasticache:Connect for the worker task roles and the Lambda, and no
// password anywhere. The template only: IAM auth itself was not exercised against AWS (no account in the
// test environment; test/integration/redis/elasticache-iam-rotation.test.ts covers the clients' rotation).
import { Match } from 'aws-cdk-lib/assertions';
import { InfraConfigError, resolveConfig } from '../../../infra/lib/config';
import { iamStatements, rawConfigFactory, resourcesOfType, synthesizeRaw } from './infra-factories';

const postgres = {
  postgresUrl: 'postgres://cdc_cache@shop.cluster-abc.eu-west-1.rds.amazonaws.com:5432/shop',
  postgresPasswordSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop-db-AbCdEf',
  postgresImage: 'example.org/cdc-cache:test',
};

function connectStatements(template: ReturnType<typeof synthesizeRaw>['template']) {
  return iamStatements(template).filter((statement) =>
    [statement.Action].flat().includes('elasticache:Connect'),
  );
}

describe('cacheAuth=iam', () => {
  it('creates IAM-enabled users named as their IDs, and no password secret', () => {
    // Act
    const { template } = synthesizeRaw({ cacheAuth: 'iam' });

    // Assert
    for (const role of ['worker', 'reader'])
      template.hasResourceProperties('AWS::ElastiCache::User', {
        UserId: `cdc-cache-test-${role}`,
        UserName: `cdc-cache-test-${role}`,
        AuthenticationMode: { Type: 'iam' },
        Passwords: Match.absent(),
      });
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('runs every consumer with IAM auth, no GLIDE, and grants each role elasticache:Connect as the worker', () => {
    // Act
    const { template } = synthesizeRaw({ cacheAuth: 'iam', ...postgres });

    // Assert: the Lambda (no layer: ioredis is in its bundle) and both worker containers (the default client)
    const iamEnvironment = {
      CDC_CACHE_REDIS_AUTH: 'iam',
      CDC_CACHE_REDIS_IAM_CACHE_NAME: 'cdc-cache-test',
      CDC_CACHE_REDIS_USERNAME: 'cdc-cache-test-worker',
    };
    template.hasResourceProperties('AWS::Lambda::Function', {
      Layers: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          ...iamEnvironment,
          CDC_CACHE_REDIS_CLIENT: Match.absent(),
          CDC_CACHE_REDIS_PASSWORD_SECRET_ARN: Match.absent(),
        }),
      },
    });
    const containers = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition')).flatMap(
      (task) => task.Properties?.['ContainerDefinitions'] as Record<string, unknown>[],
    );
    const workers = containers.filter((container) => JSON.stringify(container['Command']).includes('worker'));
    expect(workers).toHaveLength(2);
    for (const worker of workers) {
      const environment = Object.fromEntries(
        (worker['Environment'] as { Name: string; Value: unknown }[]).map(({ Name, Value }) => [Name, Value]),
      );
      expect(environment).toMatchObject(iamEnvironment);
      expect(environment).not.toHaveProperty('CDC_CACHE_REDIS_CLIENT');
      const secrets = ((worker['Secrets'] as { Name: string }[] | undefined) ?? []).map(({ Name }) => Name);
      expect(secrets).not.toContain('CDC_CACHE_REDIS_PASSWORD');
    }
    // Connect on the serverless cache and the worker user, for the Lambda and the two task roles
    const statements = connectStatements(template);
    expect(statements).toHaveLength(3);
    for (const statement of statements)
      expect(statement.Resource).toEqual([
        { 'Fn::GetAtt': [expect.stringMatching(/^Cache[0-9A-F]{8}$/), 'ARN'] },
        { 'Fn::GetAtt': [expect.stringMatching(/^CacheWorkerUser/), 'Arn'] },
      ]);
  });

  it('exports a policy for read services to connect as the reader user, instead of its password secret', () => {
    // Act
    const { template } = synthesizeRaw({ cacheAuth: 'iam' });

    // Assert
    template.hasResourceProperties('AWS::IAM::ManagedPolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'elasticache:Connect',
            Resource: [
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^Cache[0-9A-F]{8}$'), 'ARN'] },
              { 'Fn::GetAtt': [Match.stringLikeRegexp('^CacheReaderUser'), 'Arn'] },
            ],
          }),
        ],
      },
    });
    template.hasOutput('CacheReaderConnectPolicyArn', Match.anyValue());
    expect(Object.keys(template.findOutputs('CacheReaderPasswordSecretArn'))).toEqual([]);
  });
});

describe('cacheAuth settings', () => {
  it('keeps password auth and ioredis by default, with the password secret', () => {
    // Act
    const { template } = synthesizeRaw();

    // Assert
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          CDC_CACHE_REDIS_AUTH: 'password',
          CDC_CACHE_REDIS_PASSWORD_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
    expect(connectStatements(template)).toEqual([]);
  });

  it.each([[{ cacheAuth: 'token' }, "cacheAuth: must be one of password, iam, got 'token'"]])(
    'refuses %j',
    (overrides, message) => {
      // Act
      const resolve = () => resolveConfig(rawConfigFactory(overrides));

      // Assert
      expect(resolve).toThrow(InfraConfigError);
      expect(resolve).toThrow(message);
    },
  );
});
