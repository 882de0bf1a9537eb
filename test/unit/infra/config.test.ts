import { join } from 'node:path';
import { cacheAccessString } from '../../../infra/lib/cache';
import { CONFIG_DEFAULTS, REPO_ROOT, readRawConfig, resolveConfig } from '../../../infra/lib/config';
import { mskResourceArns } from '../../../infra/lib/kafka-consumer-service';
import { CdcCacheError } from '../../../src/errors';
import { kafkaWorkerConfigSchema } from '../../../src/runtimes/kafka-worker/kafka-worker-config';
import { resolveConfig as resolveWorkerConfig } from '../../../src/runtimes/shared/config-schema';
import { CLUSTER_ARN, rawConfigFactory, writeTempFile } from './infra-factories';

describe('resolveConfig', () => {
  it('reads comma-separated strings (from -c) and numbers given as strings', () => {
    // Prepare
    const raw = rawConfigFactory({ batchSize: '50', kafkaTopics: ' a, b ,c', kafkaPartitionCount: '9' });

    // Act
    const config = resolveConfig(raw);

    // Assess
    expect(config.streamConsumer?.batchSize).toBe(50);
    expect(config.kafkaConsumer?.topics).toEqual(['a', 'b', 'c']);
    expect(config.kafkaConsumer?.maxTasks).toBe(9);
  });

  it('fills documented defaults and takes the key prefix from the keyspace', () => {
    // Prepare
    const raw = rawConfigFactory({ batchSize: undefined, kafkaGroupId: undefined });

    // Act
    const config = resolveConfig(raw);

    // Assess
    expect(config.streamConsumer?.batchSize).toBe(CONFIG_DEFAULTS.batchSize);
    expect(config.kafkaConsumer?.groupId).toBe('cdc-cache');
    expect(config.kafkaConsumer?.auth).toEqual({ mechanism: 'aws-msk-iam' });
    expect(config.keyPrefix).toBe('shop:');
    expect(config.keyPrefixOverride).toBeUndefined();
    expect(config.cacheName).toBe('cdc-cache-test');
    expect(config.vpc).toEqual({ create: { maxAzs: 2, natGateways: 1 } });
  });

  const refusals: Array<[Record<string, unknown>, RegExp]> = [
    [{ typo: 1 }, /unknown setting\(s\): typo/],
    [{ batchSize: 0 }, /cdc-cache:batchSize: must be an integer from 1 to 10000/],
    [{ retryAttempts: -1 }, /cdc-cache:retryAttempts: must be an integer from 0 to 10000/],
    [{ maxRecordAgeSeconds: 90_000 }, /cdc-cache:maxRecordAgeSeconds: must be an integer from 60 to 86400/],
    [{ tableName: 'Orders' }, /cdc-cache:tableStreamArn: is the stream of table 'Products', not of 'Orders'/],
    [
      { tableStreamArn: 'arn:aws:dynamodb:eu-west-1:111111111111:table/Products' },
      /must be a DynamoDB stream ARN/,
    ],
    [{ tableStreamArn: undefined }, /cdc-cache:tableStreamArn: is required with cdc-cache:tableName/],
    [{ mskClusterArn: undefined }, /cdc-cache:mskClusterArn: is required/],
    [{ kafkaPartitionCount: undefined }, /cdc-cache:kafkaPartitionCount: is required/],
    [{ kafkaAuth: 'plain' }, /cdc-cache:kafkaAuth: must be one of iam, scram/],
    [{ kafkaAuth: 'scram' }, /cdc-cache:kafkaScramSecretArn: is required/],
    [{ kafkaScramSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:x' }, /only used with/],
    [{ readServiceSecurityGroupIds: 'sg-0aaa,open' }, /'open' is not a security group ID/],
    [{ vpcId: 'vpc-0123abcd' }, /cdc-cache:vpcAvailabilityZones: is required with cdc-cache:vpcId/],
    [
      { vpcId: 'vpc-0123abcd', vpcAvailabilityZones: 'a,b', vpcPrivateSubnetIds: 'subnet-1' },
      /needs one subnet per availability zone/,
    ],
    [{ alarmTopicArn: 'oncall' }, /cdc-cache:alarmTopicArn: must be an SNS topic ARN/],
    [{ cacheName: 'Bad_Name' }, /cdc-cache:cacheName: must be/],
    [{ logRetentionDays: 2 }, /cdc-cache:logRetentionDays: must be one of/],
    [{ lambdaRuntime: 'nodejs20.x' }, /cdc-cache:lambdaRuntime: must be one of nodejs22.x, nodejs24.x/],
    [{ keyspaceFile: undefined }, /cdc-cache:keyspaceFile: is required/],
    [{ keyspaceFile: 'src/keyspace/index.ts' }, /must be a \.json, \.yaml or \.yml file/],
    [{ keyspaceFile: 'infra/examples/missing.json' }, /no such file/],
    [{ keyspaceFile: '/etc/keyspace.json' }, /must be inside the repository/],
    [
      { tableName: undefined, tableStreamArn: undefined, kafkaBrokers: undefined, kafkaTopics: undefined },
      /nothing to consume/,
    ],
  ];
  const label = (overrides: Record<string, unknown>) =>
    Object.entries(overrides)
      .map(([key, value]) => `${key}=${value === undefined ? '(unset)' : JSON.stringify(value)}`)
      .join(' ');
  it.each(refusals.map(([overrides, message]) => [label(overrides), overrides, message] as const))(
    'refuses %s, naming the setting',
    (_label, overrides, message) => {
      // Prepare
      const raw = rawConfigFactory(overrides);

      // Act
      const act = () => resolveConfig(raw);

      // Assess
      expect(act).toThrow(message);
    },
  );

  it('refuses a keyspace the runtimes would refuse, with the keyspace error', () => {
    // Prepare
    const invalid = join('test', 'unit', 'infra', 'fixtures', 'invalid-keyspace.json');

    // Act
    const act = () => resolveConfig(rawConfigFactory({ keyspaceFile: invalid }));

    // Assess
    expect(act).toThrow(/cdc-cache:keyspaceFile: .*invalid-keyspace\.json[\s\S]*user\.ttl: required/);
  });
});

describe('readRawConfig', () => {
  it('reads the config file, then lets cdc-cache: context keys override it, ignoring other context', () => {
    // Prepare
    const file = writeTempFile('prod.json', JSON.stringify({ tableName: 'Products', batchSize: 10 }));
    const context = {
      'cdc-cache:configFile': file,
      'cdc-cache:batchSize': '20',
      '@aws-cdk/core:checkSecretUsage': true,
    };

    // Act
    const raw = readRawConfig(context);

    // Assess
    expect(raw).toEqual({ tableName: 'Products', batchSize: '20' });
  });

  it('names a config file that is not a JSON object', () => {
    // Prepare
    const file = writeTempFile('bad.json', '[1, 2]');

    // Act
    const act = () => readRawConfig({ 'cdc-cache:configFile': file });

    // Assess
    expect(act).toThrow(/cdc-cache:configFile: .* must hold a JSON object/);
  });

  it('refuses a bad value with a CDC_CONFIG_INVALID error naming the setting and where it came from', () => {
    // Prepare
    const file = writeTempFile(
      'slot.json',
      JSON.stringify({
        ...rawConfigFactory(),
        postgresUrl: 'postgres://cdc@db.example.com:5432/shop',
        postgresPasswordSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:db-AbCdEf',
        postgresSlot: 'Orders-Slot',
      }),
    );

    // Act
    const fromFile = catchError(() => resolveConfig(readRawConfig({ 'cdc-cache:configFile': file })));
    const fromContext = catchError(() =>
      resolveConfig(
        readRawConfig({
          'cdc-cache:configFile': 'infra/examples/example.config.json',
          'cdc-cache:logLevel': 'loud',
        }),
      ),
    );

    // Assess
    expect(fromFile).toBeInstanceOf(CdcCacheError);
    expect(fromFile).toMatchObject({ code: 'CDC_CONFIG_INVALID' });
    expect(fromFile.message).toBe(
      `cdc-cache:postgresSlot: expected 1 to 63 of a-z, 0-9 and _, got 'Orders-Slot' (from config file ${file})`,
    );
    expect(fromContext.message).toMatch(
      /^cdc-cache:logLevel: expected one of fatal, .* got 'loud' \(from -c cdc-cache:logLevel\)$/,
    );
  });

  it("deploys the runtimes' own defaults for the settings they share", () => {
    // Prepare
    const raw = rawConfigFactory({ kafkaGroupId: undefined, kafkaDlqTopic: undefined, logLevel: undefined });
    const resolved = resolveWorkerConfig(kafkaWorkerConfigSchema, {
      env: { CDC_CACHE_KEYSPACE: 'keyspace.json', CDC_CACHE_KAFKA_BROKERS: 'b-1:9098' },
    });

    // Act
    const config = resolveConfig(raw);

    // Assess
    if (resolved.help) throw new Error('unexpected --help');
    expect(config.kafkaConsumer).toMatchObject({
      groupId: resolved.values.groupId,
      dlqTopic: resolved.values.deadLetterTopic,
    });
    expect(config.logLevel).toBe(resolved.values.logLevel);
  });

  it('resolves a relative config file against the repository root', () => {
    // Prepare
    const context = { 'cdc-cache:configFile': 'infra/examples/example.config.json' };

    // Act
    const config = resolveConfig(readRawConfig(context));

    // Assess
    expect(config.keyspaceFile).toBe(join(REPO_ROOT, 'infra', 'examples', 'keyspace.json'));
    expect(config.streamConsumer?.tableStreamArn).toMatch(/:table\/Products\/stream\//);
  });
});

describe('cacheAccessString', () => {
  it('gives the worker every key under the prefix, escaping glob characters, and every key when there is none', () => {
    // Prepare
    const prefixes = ['shop:', 'a*b?[c]:', ''];

    // Act
    const strings = prefixes.map((prefix) => cacheAccessString(prefix, 'worker'));

    // Assess
    expect(strings).toEqual([
      'on %RW~shop:* +@all -@dangerous +info',
      'on %RW~a\\*b\\?\\[c\\]:* +@all -@dangerous +info',
      'on %RW~* +@all -@dangerous +info',
    ]);
  });

  it('gives the read services entries, tag sets and read-only generations, none of the worker keys', () => {
    // Act
    const rules = cacheAccessString('shop:', 'reader').split(' ');

    // Assess: a key outside `shop:_cc:` is matched by one of the entry patterns (checked on a real Redis in
    // test/integration/redis/acl-roles.test.ts); inside it, only tags, generations and version memories
    // (read-write: a script's declared keys need both).
    expect(rules).toEqual(
      expect.arrayContaining([
        'on',
        '%RW~shop:[^_]*',
        '%RW~shop:_cc[^:]*',
        '%RW~shop:_cc:tag:*',
        '%RW~shop:_cc:gen:*',
        '%RW~shop:_cc:ver:*',
      ]),
    );
    expect(rules.filter((rule) => rule.includes('_cc:'))).toEqual([
      '%RW~shop:_cc:tag:*',
      '%RW~shop:_cc:gen:*',
      '%RW~shop:_cc:ver:*',
    ]);
    expect(rules).not.toContain('%RW~shop:*');
  });

  it('refuses a prefix with whitespace, which no ACL key pattern can express', () => {
    // Prepare
    const prefix = 'my shop:';

    // Act
    const act = () => cacheAccessString(prefix, 'reader');

    // Assess
    expect(act).toThrow(/whitespace/);
  });
});

describe('mskResourceArns', () => {
  it('derives topic and group ARNs from the cluster ARN', () => {
    // Prepare
    const arns = mskResourceArns(CLUSTER_ARN);

    // Act
    const topic = arns.topic('shop.public.users');
    const group = arns.group('cdc-cache');

    // Assess
    expect(arns.clusterName).toBe('shop');
    expect(topic).toBe(
      'arn:aws:kafka:eu-west-1:111111111111:topic/shop/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab-2/shop.public.users',
    );
    expect(group).toBe(
      'arn:aws:kafka:eu-west-1:111111111111:group/shop/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab-2/cdc-cache',
    );
  });
});

function catchError(act: () => unknown): Error {
  try {
    act();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}
