import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { CdcCacheStack } from '../../../infra/lib/cdc-cache-stack';
import { REPO_ROOT, resolveConfig } from '../../../infra/lib/config';
import {
  CLUSTER_ARN,
  dockerContextFactory,
  iamStatements,
  rawConfigFactory,
  resourcesOfType,
  STREAM_ARN,
  synthesize,
  synthesizeRaw,
} from './infra-factories';

/** The names of /tmp/env-contract.md that the deployed runtimes read; the stack may set no other CDC_CACHE_* name. */
const CONTRACT_ENV_NAMES = new Set([
  'CDC_CACHE_KEYSPACE',
  'CDC_CACHE_KEY_PREFIX',
  'CDC_CACHE_REDIS_URL',
  'CDC_CACHE_REDIS_USERNAME',
  'CDC_CACHE_REDIS_PASSWORD',
  'CDC_CACHE_REDIS_PASSWORD_SECRET_ARN',
  'CDC_CACHE_REDIS_CLUSTER',
  'CDC_CACHE_REDIS_AUTH',
  'CDC_CACHE_REDIS_IAM_CACHE_NAME',
  'CDC_CACHE_REDIS_IAM_REGION',
  'CDC_CACHE_LOG_LEVEL',
  'CDC_CACHE_HTTP_PORT',
  'CDC_CACHE_KAFKA_BROKERS',
  'CDC_CACHE_KAFKA_TOPICS',
  'CDC_CACHE_KAFKA_TOPIC_PATTERN',
  'CDC_CACHE_KAFKA_GROUP_ID',
  'CDC_CACHE_KAFKA_CLIENT_ID',
  'CDC_CACHE_KAFKA_SSL',
  'CDC_CACHE_KAFKA_SASL_MECHANISM',
  'CDC_CACHE_KAFKA_SASL_USERNAME',
  'CDC_CACHE_KAFKA_SASL_PASSWORD',
  'CDC_CACHE_DLQ_TOPIC',
  'CDC_CACHE_DYNAMODB_TABLE',
  'CDC_CACHE_DYNAMODB_VERSION_ATTRIBUTE',
  'CDC_CACHE_POSTGRES_URL',
  'CDC_CACHE_POSTGRES_PASSWORD',
  'CDC_CACHE_POSTGRES_SLOT',
  'CDC_CACHE_POSTGRES_PUBLICATION',
  'CDC_CACHE_POSTGRES_TABLES',
]);

function onlyResource(template: Template, type: string): [string, Record<string, unknown>] {
  const entries = Object.entries(resourcesOfType(template, type));
  expect(entries).toHaveLength(1);
  const [logicalId, resource] = entries[0]!;
  return [logicalId, resource.Properties ?? {}];
}

function asList<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

describe('CdcCacheStack', () => {
  const afterAllCleanups: Array<() => void> = [];
  afterAll(() => {
    for (const cleanup of afterAllCleanups) cleanup();
  });

  describe('DynamoDB stream consumer', () => {
    it('maps the stream with partial batch failures, bisection, bounded retries and age, and an SQS on-failure destination', () => {
      // Prepare
      const { template } = synthesizeRaw();
      const [queueId] = onlyResource(template, 'AWS::SQS::Queue');

      // Act
      const [, mapping] = onlyResource(template, 'AWS::Lambda::EventSourceMapping');

      // Assess
      expect(mapping).toEqual(
        expect.objectContaining({
          EventSourceArn: STREAM_ARN,
          StartingPosition: 'LATEST',
          BatchSize: 250,
          MaximumBatchingWindowInSeconds: 2,
          MaximumRetryAttempts: 7,
          MaximumRecordAgeInSeconds: 1800,
          BisectBatchOnFunctionError: true,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
        }),
      );
    });

    it('uses the documented defaults when batch settings are not given', () => {
      // Prepare
      const raw = rawConfigFactory({
        batchSize: undefined,
        maxBatchingWindowSeconds: undefined,
        retryAttempts: undefined,
        maxRecordAgeSeconds: undefined,
      });

      // Act
      const { template } = synthesize(resolveConfig(raw));

      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 0,
        MaximumRetryAttempts: 10,
        MaximumRecordAgeInSeconds: 3600,
      });
    });

    it('keeps what it gives up on for 14 days in an encrypted, TLS-only dead-letter queue that alarms when not empty', () => {
      // Prepare
      const { template } = synthesizeRaw();

      // Act
      const [queueId, queue] = onlyResource(template, 'AWS::SQS::Queue');

      // Assess
      expect(queue).toEqual(
        expect.objectContaining({ SqsManagedSseEnabled: true, MessageRetentionPeriod: 1_209_600 }),
      );
      template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      });
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } }],
        Threshold: 1,
      });
    });

    it('alarms on iterator age and on errors of the function', () => {
      // Prepare
      const { template } = synthesizeRaw({ iteratorAgeAlarmMs: 30_000 });

      // Act
      const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm')).map(
        (alarm) => alarm.Properties,
      );

      // Assess
      expect(alarms).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: 'IteratorAge', Threshold: 30_000 }),
          expect.objectContaining({ Namespace: 'AWS/Lambda', MetricName: 'Errors', Threshold: 1 }),
        ]),
      );
    });

    it('runs the Lambda on Node.js 24 when lambdaRuntime asks for it', () => {
      // Prepare
      const { template } = synthesizeRaw({ lambdaRuntime: 'nodejs24.x' });

      // Act
      const runtimes = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))
        .map((fn) => fn.Properties!)
        .filter((fn) => fn.Handler === 'index.handler')
        .map((fn) => fn.Runtime);

      // Assess
      expect(runtimes).toEqual(['nodejs24.x']);
    });

    it('runs the cdc-cache/lambda handler on Node.js 22 ARM64 in the VPC, configured by the contract names', () => {
      // Prepare
      const { template } = synthesizeRaw({ keyPrefix: 'tenant-a:' });

      // Act
      const functions = Object.values(resourcesOfType(template, 'AWS::Lambda::Function'))
        .map((fn) => fn.Properties!)
        .filter((fn) => fn.Handler === 'index.handler');

      // Assess
      expect(functions).toHaveLength(1);
      const fn = functions[0]!;
      expect(fn).toEqual(
        expect.objectContaining({
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          VpcConfig: expect.objectContaining({
            SubnetIds: expect.any(Array),
            SecurityGroupIds: expect.any(Array),
          }),
        }),
      );
      const variables = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(variables).toEqual(
        expect.objectContaining({
          CDC_CACHE_KEYSPACE: '/var/task/keyspace.json',
          CDC_CACHE_KEY_PREFIX: 'tenant-a:',
          CDC_CACHE_REDIS_USERNAME: 'cdc-cache-worker',
          CDC_CACHE_REDIS_CLUSTER: 'true',
          CDC_CACHE_REDIS_PASSWORD_SECRET_ARN: { Ref: expect.stringMatching(/^CacheWorkerPassword/) },
          CDC_CACHE_DYNAMODB_TABLE: 'Products',
        }),
      );
      const ours = Object.keys(variables).filter((name) => name.startsWith('CDC_CACHE_'));
      expect(ours.filter((name) => !CONTRACT_ENV_NAMES.has(name))).toEqual([]);
    });
  });

  describe('the cache', () => {
    it('is ElastiCache Serverless Valkey in the VPC with an RBAC user group, and clients connect over TLS (rediss://)', () => {
      // Prepare
      const { template } = synthesizeRaw();

      // Act
      const [, cache] = onlyResource(template, 'AWS::ElastiCache::ServerlessCache');
      const [userGroupId] = onlyResource(template, 'AWS::ElastiCache::UserGroup');
      const urls = [
        ...Object.values(resourcesOfType(template, 'AWS::Lambda::Function')).map(
          (fn) =>
            (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables,
        ),
        ...Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition')).flatMap((task) =>
          (
            task.Properties!.ContainerDefinitions as Array<{
              Environment?: Array<{ Name: string; Value: unknown }>;
            }>
          ).map((container) =>
            Object.fromEntries((container.Environment ?? []).map(({ Name, Value }) => [Name, Value])),
          ),
        ),
      ]
        .map((variables) => variables?.CDC_CACHE_REDIS_URL)
        .filter((url) => url !== undefined);

      // Assess
      // Serverless caches have no plaintext listener: TLS in transit cannot be switched off.
      expect(cache).toEqual(
        expect.objectContaining({
          Engine: 'valkey',
          ConnectionType: 'vpc',
          UserGroupId: { Ref: userGroupId },
        }),
      );
      template.resourceCountIs('AWS::ElastiCache::ReplicationGroup', 0);
      template.resourceCountIs('AWS::ElastiCache::CacheCluster', 0);
      expect(urls).toHaveLength(2);
      for (const url of urls)
        expect(url).toEqual({ 'Fn::Join': ['', ['rediss://', expect.anything(), ':', expect.anything()]] });
    });

    it('switches the default user off and gives the worker and readers passwords from Secrets Manager, scoped to the key prefix', () => {
      // Prepare
      const { template } = synthesizeRaw();

      // Act
      const users = Object.values(resourcesOfType(template, 'AWS::ElastiCache::User')).map(
        (user) => user.Properties!,
      );

      // Assess
      expect(users).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ UserName: 'default', AccessString: 'off -@all' }),
          expect.objectContaining({
            UserName: 'cdc-cache-worker',
            AccessString: 'on %RW~shop:* +@all -@dangerous +info',
            Passwords: [
              { 'Fn::Join': ['', ['{{resolve:secretsmanager:', expect.anything(), ':SecretString:::}}']] },
            ],
          }),
          expect.objectContaining({
            UserName: 'cdc-cache-reader',
            // Entries, tag sets and read-only generations: never the worker's own keys or its dead letters.
            AccessString: expect.stringMatching(
              /^on %RW~shop:\[\^_\]\* .* %RW~shop:_cc:tag:\* %RW~shop:_cc:gen:\* %RW~shop:_cc:ver:\* &__redis__:invalidate \+@all/,
            ),
          }),
        ]),
      );
      expect(users).toHaveLength(3);
    });

    it('admits no CIDR at all: only the worker, client and configured read-service security groups reach it', () => {
      // Prepare
      const { template } = synthesizeRaw();
      const [, cache] = onlyResource(template, 'AWS::ElastiCache::ServerlessCache');
      const [cacheGroup] = cache.SecurityGroupIds as Array<{ 'Fn::GetAtt': [string, string] }>;
      const cacheGroupId = cacheGroup!['Fn::GetAtt'][0];

      // Act
      const inline = resourcesOfType(template, 'AWS::EC2::SecurityGroup')[cacheGroupId]!.Properties!
        .SecurityGroupIngress;
      const rules = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress'))
        .map((rule) => rule.Properties!)
        .filter((rule) => JSON.stringify(rule.GroupId).includes(cacheGroupId));

      // Assess
      expect(inline).toBeUndefined();
      for (const rule of rules) {
        expect(rule.CidrIp).toBeUndefined();
        expect(rule.CidrIpv6).toBeUndefined();
        expect(rule).toEqual(expect.objectContaining({ IpProtocol: 'tcp', FromPort: 6379, ToPort: 6380 }));
      }
      const sources = rules.map((rule) => JSON.stringify(rule.SourceSecurityGroupId));
      expect(sources).toHaveLength(5);
      expect(sources).toEqual(
        expect.arrayContaining([
          '"sg-0aaaaaaaaaaaaaaaa"',
          '"sg-0bbbbbbbbbbbbbbbb"',
          expect.stringContaining('CacheClientSecurityGroup'),
          expect.stringContaining('StreamConsumerSecurityGroup'),
          expect.stringContaining('KafkaConsumerSecurityGroup'),
        ]),
      );
    });

    it('opens no security group in the stack to 0.0.0.0/0 or ::/0', () => {
      // Prepare
      const { template } = synthesizeRaw();

      // Act
      const inline = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroup')).flatMap(
        (group) =>
          (group.Properties?.SecurityGroupIngress as Array<Record<string, unknown>> | undefined) ?? [],
      );
      const standalone = Object.values(resourcesOfType(template, 'AWS::EC2::SecurityGroupIngress')).map(
        (rule) => rule.Properties!,
      );

      // Assess
      for (const rule of [...inline, ...standalone]) {
        expect(rule.CidrIp).not.toBe('0.0.0.0/0');
        expect(rule.CidrIpv6).not.toBe('::/0');
      }
      expect(standalone.length).toBeGreaterThan(0);
    });

    it('exports the endpoint, URL, client security group and reader credentials for read services', () => {
      // Prepare
      const { template } = synthesizeRaw();

      // Act
      const outputs = template.findOutputs('*');

      // Assess
      for (const name of [
        'CacheEndpoint',
        'CachePort',
        'CacheUrl',
        'CacheClientSecurityGroupId',
        'CacheReaderUsername',
        'CacheReaderPasswordSecretArn',
      ])
        expect(outputs[name]).toEqual(expect.objectContaining({ Export: { Name: `CdcCacheTest-${name}` } }));
    });
  });

  describe('least-privilege IAM', () => {
    it('grants the stream actions on the one stream ARN only, never on *', () => {
      // Prepare
      const { template } = synthesizeRaw();

      // Act
      const streamStatements = iamStatements(template).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('dynamodb:')),
      );

      // Assess
      expect(streamStatements).toHaveLength(1);
      expect(streamStatements[0]).toEqual(
        expect.objectContaining({
          Effect: 'Allow',
          Resource: STREAM_ARN,
          Action: expect.arrayContaining([
            'dynamodb:DescribeStream',
            'dynamodb:GetRecords',
            'dynamodb:GetShardIterator',
          ]),
        }),
      );
      expect(JSON.stringify(streamStatements)).not.toContain('"*"');
    });

    it('lets the Lambda send only to its DLQ and read only the worker password', () => {
      // Prepare
      const { template } = synthesizeRaw();
      const [queueId] = onlyResource(template, 'AWS::SQS::Queue');

      // Act
      const statements = iamStatements(template);
      const sqs = statements.filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('sqs:')),
      );
      const secrets = statements.filter((statement) =>
        asList(statement.Action).includes('secretsmanager:GetSecretValue'),
      );

      // Assess
      expect(sqs).toEqual([expect.objectContaining({ Resource: { 'Fn::GetAtt': [queueId, 'Arn'] } })]);
      expect(secrets.length).toBeGreaterThan(0);
      for (const statement of secrets)
        expect(statement.Resource).toEqual({ Ref: expect.stringMatching(/^CacheWorkerPassword/) });
    });

    it('scopes MSK IAM to the cluster, the change topics, the consumer group and the DLQ topic', () => {
      // Prepare
      const { template } = synthesizeRaw();
      const topicBase = CLUSTER_ARN.replace(':cluster/', ':topic/');

      // Act
      const kafka = iamStatements(template).filter((statement) =>
        asList(statement.Action).some((action) => action.startsWith('kafka-cluster:')),
      );

      // Assess
      expect(kafka).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            Resource: CLUSTER_ARN,
            Action: expect.arrayContaining(['kafka-cluster:Connect']),
          }),
          expect.objectContaining({
            Resource: [`${topicBase}/shop.public.users`, `${topicBase}/shop.public.orders`],
            Action: expect.arrayContaining(['kafka-cluster:ReadData']),
          }),
          expect.objectContaining({
            Resource: `${CLUSTER_ARN.replace(':cluster/', ':group/')}/cdc-cache`,
            Action: expect.arrayContaining(['kafka-cluster:AlterGroup']),
          }),
          expect.objectContaining({
            Resource: `${topicBase}/cdc-cache.dlq`,
            Action: expect.arrayContaining(['kafka-cluster:WriteData']),
          }),
        ]),
      );
      expect(JSON.stringify(kafka)).not.toContain('"*"');
    });
  });

  describe('Kafka consumer service', () => {
    it('never scales beyond the partition count', () => {
      // Prepare
      const partitionCount = 4;

      // Act
      const { template } = synthesizeRaw({ kafkaPartitionCount: partitionCount });

      // Assess
      const [, target] = onlyResource(template, 'AWS::ApplicationAutoScaling::ScalableTarget');
      expect(target.MaxCapacity).toBeLessThanOrEqual(partitionCount);
      expect(target).toEqual(expect.objectContaining({ MinCapacity: 1, MaxCapacity: partitionCount }));
    });

    it('honours a lower task limit and refuses one above the partition count', () => {
      // Prepare
      const lower = rawConfigFactory({ kafkaPartitionCount: 12, kafkaMaxTasks: 3 });
      const above = rawConfigFactory({ kafkaPartitionCount: 3, kafkaMaxTasks: 4 });

      // Act
      const { template } = synthesize(resolveConfig(lower));

      // Assess
      template.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', { MaxCapacity: 3 });
      expect(() => resolveConfig(above)).toThrow(/cdc-cache:kafkaMaxTasks: must be an integer from 1 to 3/);
    });

    it('runs the worker with a health check, CloudWatch logs, SCRAM secrets, and a consumer-lag alarm', () => {
      // Prepare
      const secretArn = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AmazonMSK_cdc-AbCdEf';

      // Act
      const { template } = synthesizeRaw({
        kafkaAuth: 'scram',
        kafkaScramSecretArn: secretArn,
        kafkaLagAlarmSeconds: 120,
      });

      // Assess
      const [, task] = onlyResource(template, 'AWS::ECS::TaskDefinition');
      const container = (task.ContainerDefinitions as Array<Record<string, unknown>>).find(
        (definition) => definition.Name === 'worker',
      );
      expect(container).toEqual(
        expect.objectContaining({
          Image: 'example.org/cdc-cache:test',
          Command: ['worker', 'kafka'],
          HealthCheck: expect.objectContaining({
            Command: expect.arrayContaining([expect.stringContaining('/healthz')]),
          }),
          LogConfiguration: expect.objectContaining({ LogDriver: 'awslogs' }),
          Secrets: expect.arrayContaining([
            { Name: 'CDC_CACHE_KAFKA_SASL_USERNAME', ValueFrom: `${secretArn}:username::` },
            { Name: 'CDC_CACHE_KAFKA_SASL_PASSWORD', ValueFrom: `${secretArn}:password::` },
            {
              Name: 'CDC_CACHE_REDIS_PASSWORD',
              ValueFrom: { Ref: expect.stringMatching(/^CacheWorkerPassword/) },
            },
          ]),
        }),
      );
      const environment = Object.fromEntries(
        (container!.Environment as Array<{ Name: string; Value: unknown }>).map(({ Name, Value }) => [
          Name,
          Value,
        ]),
      );
      expect(environment).toEqual(
        expect.objectContaining({
          CDC_CACHE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
          CDC_CACHE_KAFKA_SSL: 'true',
          CDC_CACHE_KAFKA_TOPICS: 'shop.public.users,shop.public.orders',
          CDC_CACHE_KEYSPACE: '/etc/cdc-cache/keyspace.json',
        }),
      );
      expect(
        Object.keys(environment).filter(
          (name) => name.startsWith('CDC_CACHE_') && !CONTRACT_ENV_NAMES.has(name),
        ),
      ).toEqual([]);
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Threshold: 120,
        Metrics: Match.arrayWith([
          Match.objectLike({
            MetricStat: Match.objectLike({
              Metric: Match.objectLike({ Namespace: 'AWS/Kafka', MetricName: 'EstimatedMaxTimeLag' }),
            }),
          }),
        ]),
      });
      expect(JSON.stringify(iamStatements(template))).not.toContain('kafka-cluster:');
    });

    it('builds the image from the Dockerfile of the build context, for the task architecture', () => {
      // Prepare
      const context = dockerContextFactory();
      const resolved = resolveConfig(
        rawConfigFactory({
          tableName: undefined,
          tableStreamArn: undefined,
          kafkaImage: undefined,
          kafkaCpuArchitecture: 'x86_64',
        }),
      );
      const config = { ...resolved, keyspaceFile: context.keyspaceFile };

      // Act
      const { stack, template } = synthesize(config, context.root);
      afterAllCleanups.push(() => rmSync(context.root, { recursive: true, force: true }));

      // Assess
      const assembly = App.of(stack)!.synth();
      const manifest = JSON.parse(
        readFileSync(join(assembly.directory, `${stack.stackName}.assets.json`), 'utf8'),
      ) as {
        dockerImages: Record<string, { source: Record<string, unknown> }>;
      };
      const images = Object.values(manifest.dockerImages).map((image) => image.source);
      expect(images).toEqual([expect.objectContaining({ platform: 'linux/amd64' })]);
      const staged = join(assembly.directory, images[0]!.directory as string);
      expect(readFileSync(join(staged, 'Dockerfile'), 'utf8')).toBe('FROM scratch\n');
      template.hasResourceProperties('AWS::ECS::TaskDefinition', {
        RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      });
    });

    it('writes the keyspace into a task volume before the worker starts, and the worker mounts it read-only', () => {
      // Prepare
      const keyspace = readFileSync(join(REPO_ROOT, 'infra', 'examples', 'keyspace.json'), 'utf8');

      // Act
      const { template } = synthesizeRaw();

      // Assess
      const [, task] = onlyResource(template, 'AWS::ECS::TaskDefinition');
      const containers = task.ContainerDefinitions as Array<Record<string, unknown>>;
      const worker = containers.find((container) => container.Name === 'worker');
      const writer = containers.find((container) => container.Name === 'keyspace');
      expect(task.Volumes).toEqual([{ Name: 'keyspace' }]);
      expect(writer).toEqual(
        expect.objectContaining({
          Essential: false,
          Image: 'example.org/cdc-cache:test',
          EntryPoint: [
            'node',
            '-e',
            expect.stringContaining('writeFileSync(process.argv[1], process.argv[2]'),
          ],
          Command: ['/etc/cdc-cache/keyspace.json', keyspace],
          MountPoints: [{ SourceVolume: 'keyspace', ContainerPath: '/etc/cdc-cache', ReadOnly: false }],
        }),
      );
      expect(worker).toEqual(
        expect.objectContaining({
          DependsOn: [{ ContainerName: 'keyspace', Condition: 'SUCCESS' }],
          MountPoints: [{ SourceVolume: 'keyspace', ContainerPath: '/etc/cdc-cache', ReadOnly: true }],
          ReadonlyRootFilesystem: true,
        }),
      );
    });

    it('uses the keyspace baked into a pre-built image when its path is given', () => {
      // Prepare
      const raw = rawConfigFactory({ kafkaKeyspacePathInImage: '/app/keyspace.yaml' });

      // Act
      const { template } = synthesize(resolveConfig(raw));

      // Assess
      const [, task] = onlyResource(template, 'AWS::ECS::TaskDefinition');
      const containers = task.ContainerDefinitions as Array<{
        Name: string;
        Environment: Array<{ Name: string; Value: unknown }>;
      }>;
      expect(containers.map((container) => container.Name)).toEqual(['worker']);
      expect(containers[0]!.Environment).toContainEqual({
        Name: 'CDC_CACHE_KEYSPACE',
        Value: '/app/keyspace.yaml',
      });
      expect(task.Volumes).toBeUndefined();
    });
  });

  describe('operations', () => {
    it('sends every alarm to the configured SNS topic', () => {
      // Prepare
      const topicArn = 'arn:aws:sns:eu-west-1:111111111111:oncall';

      // Act
      const { template } = synthesizeRaw({ alarmTopicArn: topicArn });

      // Assess
      // Step-scaling alarms act on the scalable target, not on people: only ours notify.
      const alarms = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Alarm'))
        .map((alarm) => alarm.Properties!)
        .filter((alarm) => String(alarm.AlarmDescription).startsWith('cdc-cache:'));
      expect(alarms).toHaveLength(4);
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([topicArn]);
    });

    it('lets the worker into the MSK security group on the TLS listeners and decrypts the SCRAM secret with its key', () => {
      // Prepare
      const keyArn = 'arn:aws:kms:eu-west-1:111111111111:key/0b1c2d3e-aaaa-bbbb-cccc-1234567890ab';

      // Act
      const { template } = synthesizeRaw({
        mskSecurityGroupId: 'sg-0ccccccccccccccccc',
        kafkaAuth: 'scram',
        kafkaScramSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:AmazonMSK_cdc-AbCdEf',
        kafkaScramSecretKmsKeyArn: keyArn,
      });

      // Assess
      template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        GroupId: 'sg-0ccccccccccccccccc',
        FromPort: 9096,
        ToPort: 9098,
        SourceSecurityGroupId: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaConsumerSecurityGroup'), 'GroupId'],
        },
      });
      expect(iamStatements(template)).toEqual(
        expect.arrayContaining([expect.objectContaining({ Action: 'kms:Decrypt', Resource: keyArn })]),
      );
    });
  });

  describe('network', () => {
    it('imports a VPC by attributes without creating one', () => {
      // Prepare
      const raw = rawConfigFactory({
        vpcId: 'vpc-0123456789abcdef0',
        vpcAvailabilityZones: 'eu-west-1a,eu-west-1b',
        vpcPrivateSubnetIds: 'subnet-0aaaaaaaaaaaaaaaa,subnet-0bbbbbbbbbbbbbbbb',
      });

      // Act
      const { template } = synthesize(resolveConfig(raw));

      // Assess
      template.resourceCountIs('AWS::EC2::VPC', 0);
      template.hasResourceProperties('AWS::ElastiCache::ServerlessCache', {
        SubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
      });
      template.hasResourceProperties('AWS::EC2::SecurityGroup', { VpcId: 'vpc-0123456789abcdef0' });
    });

    it('creates a VPC with private subnets behind NAT when none is given', () => {
      // Prepare
      const raw = rawConfigFactory();

      // Act
      const { template } = synthesize(resolveConfig(raw));

      // Assess
      template.resourceCountIs('AWS::EC2::VPC', 1);
      template.resourceCountIs('AWS::EC2::NatGateway', 1);
    });
  });

  it('deploys only the consumers that are configured', () => {
    // Prepare
    const dynamoOnly = rawConfigFactory({
      kafkaBrokers: undefined,
      kafkaTopics: undefined,
      kafkaImage: undefined,
    });

    // Act
    const { stack, template } = synthesize(resolveConfig(dynamoOnly));

    // Assess
    expect(stack).toBeInstanceOf(CdcCacheStack);
    template.resourceCountIs('AWS::ECS::Service', 0);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
  });

  describe('PostgreSQL consumer', () => {
    it('runs worker postgres on Fargate: two tasks on one slot, passwords from Secrets Manager, into the database on 5432', () => {
      // Prepare
      const secret = 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:shop-db-cdc-AbCdEf';

      // Act
      const { template } = synthesizeRaw({
        postgresUrl:
          'postgres://cdc_cache@shop.cluster-abc.eu-west-1.rds.amazonaws.com:5432/shop?sslmode=require',
        postgresPasswordSecretArn: secret,
        postgresSecurityGroupId: 'sg-0cccccccccccccccc',
        postgresImage: 'example.org/cdc-cache:test',
      });

      // Assess
      const definitions = Object.values(resourcesOfType(template, 'AWS::ECS::TaskDefinition'));
      const worker = definitions
        .flatMap(
          (definition) =>
            (definition.Properties?.['ContainerDefinitions'] as Record<string, unknown>[]) ?? [],
        )
        .find((container) => JSON.stringify(container['Command']) === JSON.stringify(['worker', 'postgres']));
      expect(worker).toBeDefined();
      const environment = Object.fromEntries(
        (worker!['Environment'] as { Name: string; Value: unknown }[]).map(({ Name, Value }) => [
          Name,
          Value,
        ]),
      );
      expect(environment).toEqual(
        expect.objectContaining({
          CDC_CACHE_POSTGRES_SLOT: 'cdc_cache',
          CDC_CACHE_POSTGRES_PUBLICATION: 'cdc_cache',
        }),
      );
      for (const name of Object.keys(environment))
        if (name.startsWith('CDC_CACHE_')) expect(CONTRACT_ENV_NAMES).toContain(name);
      expect((worker!['Secrets'] as { Name: string }[]).map(({ Name }) => Name).sort()).toEqual([
        'CDC_CACHE_POSTGRES_PASSWORD',
        'CDC_CACHE_REDIS_PASSWORD',
      ]);
      template.hasResourceProperties('AWS::ECS::Service', Match.objectLike({ DesiredCount: 2 }));
      template.hasResourceProperties(
        'AWS::EC2::SecurityGroupIngress',
        Match.objectLike({ GroupId: 'sg-0cccccccccccccccc', FromPort: 5432, ToPort: 5432 }),
      );
    });

    it('refuses a URL that carries the password', () => {
      expect(() =>
        resolveConfig(
          rawConfigFactory({
            postgresUrl: 'postgres://cdc:secret@db:5432/shop',
            postgresPasswordSecretArn: 'arn:aws:secretsmanager:eu-west-1:111111111111:secret:x',
          }),
        ),
      ).toThrow('cdc-cache:postgresUrl: must not contain the password');
    });
  });
});
