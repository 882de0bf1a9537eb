import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { CACHE_PORTS, Cache } from './cache';
import { type CdcCacheConfig, REPO_ROOT } from './config';
import { KafkaConsumerService } from './kafka-consumer-service';
import { Network } from './network';
import { PostgresConsumerService } from './postgres-consumer-service';
import { StreamConsumer } from './stream-consumer';

/** Properties of {@link CdcCacheStack}. */
export interface CdcCacheStackProps extends StackProps {
  /** Validated configuration (see `resolveConfig`). */
  readonly config: CdcCacheConfig;
  /** The repository root: Docker build context and esbuild project root. Default: this repository. */
  readonly repoRoot?: string;
}

/**
 * The whole deployment: network, the ElastiCache Serverless cache, and whichever consumers are configured
 * (the DynamoDB stream Lambda, the Kafka worker on Fargate), wired with least-privilege IAM and security
 * groups, plus the outputs read services connect with.
 *
 * @example
 * new CdcCacheStack(app, 'CdcCache', { config: resolveConfig(readRawConfig(app.node.getAllContext())) })
 */
export class CdcCacheStack extends Stack {
  readonly network: Network;
  readonly cache: Cache;
  readonly streamConsumer?: StreamConsumer;
  readonly kafkaConsumer?: KafkaConsumerService;
  readonly postgresConsumer?: PostgresConsumerService;

  constructor(scope: Construct, id: string, props: CdcCacheStackProps) {
    super(scope, id, props);
    const { config } = props;
    const repoRoot = props.repoRoot ?? REPO_ROOT;

    this.network = new Network(this, 'Network', { vpc: config.vpc });
    const { vpc, privateSubnets } = this.network;

    this.cache = new Cache(this, 'Cache', {
      vpc,
      subnets: privateSubnets,
      cacheName: config.cacheName,
      keyPrefix: config.keyPrefix,
      readServiceSecurityGroupIds: config.readServiceSecurityGroupIds,
      ...(config.cacheMaxDataStorageGb ? { maxDataStorageGb: config.cacheMaxDataStorageGb } : {}),
      ...(config.cacheMaxEcpuPerSecond ? { maxEcpuPerSecond: config.cacheMaxEcpuPerSecond } : {}),
      auth: config.cacheAuth,
    });
    const iamAuth = config.cacheAuth === 'iam';

    // The names of the shared runtime configuration contract; nothing else configures the cache connection.
    const cacheEnvironment: Record<string, string> = {
      CDC_CACHE_REDIS_URL: this.cache.url,
      CDC_CACHE_REDIS_USERNAME: this.cache.workerUsername,
      // ElastiCache Serverless speaks the cluster protocol: clients must follow MOVED and group by slot.
      CDC_CACHE_REDIS_CLUSTER: 'true',
      // IAM auth: the runtimes sign a token for the user and the Serverless cache (ResourceType=ServerlessCache)
      // with the task's or function's role, on ioredis, the default client.
      CDC_CACHE_REDIS_AUTH: config.cacheAuth,
      CDC_CACHE_REDIS_IAM_CACHE_NAME: config.cacheName,
      CDC_CACHE_REDIS_IAM_REGION: this.region,
      CDC_CACHE_LOG_LEVEL: config.logLevel,
      ...(config.keyPrefixOverride === undefined ? {} : { CDC_CACHE_KEY_PREFIX: config.keyPrefixOverride }),
    };

    const alarmActions = config.alarmTopicArn
      ? [new cloudwatchActions.SnsAction(sns.Topic.fromTopicArn(this, 'AlarmTopic', config.alarmTopicArn))]
      : [];
    const notify = (alarms: cloudwatch.Alarm[]) => {
      for (const alarm of alarms) for (const action of alarmActions) alarm.addAlarmAction(action);
    };

    if (config.streamConsumer) {
      const securityGroup = new ec2.SecurityGroup(this, 'StreamConsumerSecurityGroup', {
        vpc,
        description: 'cdc-cache stream consumer Lambda: out to the cache and to HTTPS (Secrets Manager) only',
        allowAllOutbound: false,
      });
      securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs (Secrets Manager)');
      securityGroup.addEgressRule(this.cache.securityGroup, CACHE_PORTS, 'the cache');
      this.cache.allowFrom(securityGroup, 'cdc-cache stream consumer Lambda');

      this.streamConsumer = new StreamConsumer(this, 'StreamConsumer', {
        config: config.streamConsumer,
        repoRoot,
        keyspaceFile: config.keyspaceFile,
        vpc,
        subnets: privateSubnets,
        securityGroup,
        environment: {
          ...cacheEnvironment,
          ...(this.cache.workerPassword
            ? { CDC_CACHE_REDIS_PASSWORD_SECRET_ARN: this.cache.workerPassword.secretArn }
            : {}),
        },
        logRetentionDays: config.logRetentionDays,
        runtime: config.lambdaRuntime,
      });
      if (iamAuth) this.cache.grantConnect(this.streamConsumer.function, 'worker');
      else this.cache.grantWorkerPasswordRead(this.streamConsumer.function);
      notify(this.streamConsumer.alarms);

      new CfnOutput(this, 'StreamConsumerFunctionName', { value: this.streamConsumer.function.functionName });
      new CfnOutput(this, 'StreamConsumerDeadLetterQueueUrl', {
        value: this.streamConsumer.deadLetterQueue.queueUrl,
        description: 'Shard and sequence-number ranges the stream consumer gave up on',
      });
    }

    if (config.kafkaConsumer) {
      const securityGroup = new ec2.SecurityGroup(this, 'KafkaConsumerSecurityGroup', {
        vpc,
        description: 'cdc-cache Kafka worker tasks',
        allowAllOutbound: true,
      });
      this.cache.allowFrom(securityGroup, 'cdc-cache Kafka worker');

      this.kafkaConsumer = new KafkaConsumerService(this, 'KafkaConsumer', {
        config: config.kafkaConsumer,
        repoRoot,
        keyspaceFile: config.keyspaceFile,
        vpc,
        subnets: privateSubnets,
        securityGroup,
        environment: cacheEnvironment,
        ...(this.cache.workerPassword ? { redisPassword: this.cache.workerPassword } : {}),
        logRetentionDays: config.logRetentionDays,
      });
      if (iamAuth) this.cache.grantConnect(this.kafkaConsumer.taskDefinition.taskRole, 'worker');
      notify([this.kafkaConsumer.lagAlarm]);

      new CfnOutput(this, 'KafkaConsumerServiceName', { value: this.kafkaConsumer.service.serviceName });
    }

    if (config.postgresConsumer) {
      const securityGroup = new ec2.SecurityGroup(this, 'PostgresConsumerSecurityGroup', {
        vpc,
        description: 'cdc-cache PostgreSQL worker tasks',
        allowAllOutbound: true,
      });
      this.cache.allowFrom(securityGroup, 'cdc-cache PostgreSQL worker');

      this.postgresConsumer = new PostgresConsumerService(this, 'PostgresConsumer', {
        config: config.postgresConsumer,
        repoRoot,
        keyspaceFile: config.keyspaceFile,
        vpc,
        subnets: privateSubnets,
        securityGroup,
        environment: cacheEnvironment,
        ...(this.cache.workerPassword ? { redisPassword: this.cache.workerPassword } : {}),
        logRetentionDays: config.logRetentionDays,
      });
      if (iamAuth) this.cache.grantConnect(this.postgresConsumer.taskDefinition.taskRole, 'worker');

      new CfnOutput(this, 'PostgresConsumerServiceName', {
        value: this.postgresConsumer.service.serviceName,
      });
    }

    // What read services connect with; exported so their stacks can Fn::ImportValue them.
    const exported = (outputId: string, value: string, description: string) =>
      new CfnOutput(this, outputId, { value, description, exportName: `${this.stackName}-${outputId}` });
    exported('CacheEndpoint', this.cache.endpointAddress, 'ElastiCache Serverless endpoint (TLS only)');
    exported('CachePort', this.cache.endpointPort, 'Primary endpoint port (the reader endpoint is on 6380)');
    exported(
      'CacheUrl',
      this.cache.url,
      'CDC_CACHE_REDIS_URL for read services (also set CDC_CACHE_REDIS_CLUSTER=true)',
    );
    exported(
      'CacheClientSecurityGroupId',
      this.cache.clientSecurityGroup.securityGroupId,
      'Attach to a read service to let it reach the cache',
    );
    exported('CacheReaderUsername', this.cache.readerUsername, 'CDC_CACHE_REDIS_USERNAME for read services');
    if (this.cache.readerPassword)
      exported(
        'CacheReaderPasswordSecretArn',
        this.cache.readerPassword.secretArn,
        'Secrets Manager secret (plain string) holding the read services password',
      );
    else {
      // The app defines no read service: its role attaches this policy to connect as the reader user.
      const readerPolicy = new iam.ManagedPolicy(this, 'CacheReaderConnectPolicy', {
        description: `${config.cacheName}: connect to the cache as ${this.cache.readerUsername} with an IAM token`,
        statements: [this.cache.connectStatement('reader')],
      });
      exported(
        'CacheReaderConnectPolicyArn',
        readerPolicy.managedPolicyArn,
        'IAM auth: attach to a read service role (elasticache:Connect as the reader user)',
      );
    }
  }
}
