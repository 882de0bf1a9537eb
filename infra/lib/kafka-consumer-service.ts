import { Duration, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { KafkaConsumerConfig } from './config';
import { WorkerTask } from './worker-task';

export {
  DOCKER_BUILD_EXCLUDES,
  KEYSPACE_MOUNT,
  MAX_INLINE_KEYSPACE_BYTES,
  WORKER_HTTP_PORT,
} from './worker-task';

/** Properties of {@link KafkaConsumerService}. */
export interface KafkaConsumerServiceProps {
  readonly config: KafkaConsumerConfig;
  /** The Docker build context; its `Dockerfile` builds the worker image (unless `config.image` is set). */
  readonly repoRoot: string;
  /** Absolute path of the keyspace file: written into the task's keyspace volume at start. */
  readonly keyspaceFile: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Environment of the cache connection (CDC_CACHE_REDIS_*) and shared settings. */
  readonly environment: Readonly<Record<string, string>>;
  /** The worker's cache password, injected as CDC_CACHE_REDIS_PASSWORD (none with IAM auth). */
  readonly redisPassword?: secretsmanager.ISecret;
  readonly logRetentionDays: number;
}

/** ARNs that MSK IAM authorization names, derived from the cluster ARN (`…:cluster/<name>/<uuid>`). */
export function mskResourceArns(clusterArn: string) {
  const [, clusterPath = ''] = clusterArn.split(':cluster/');
  const base = clusterArn.slice(0, clusterArn.indexOf(':cluster/'));
  return {
    clusterName: clusterPath.split('/')[0] ?? '',
    topic: (topic: string) => `${base}:topic/${clusterPath}/${topic}`,
    group: (groupId: string) => `${base}:group/${clusterPath}/${groupId}`,
  };
}

/**
 * The Kafka consumer: `cdc-cache worker kafka` on ECS Fargate, built from the repository's Dockerfile (or a
 * pre-built image), against MSK with IAM or SCRAM auth. Task count scales on CPU and consumer lag and never
 * exceeds the partition count; a container health check, CloudWatch Logs, and an alarm on consumer lag.
 *
 * @example
 * new KafkaConsumerService(this, 'KafkaConsumer', { config, repoRoot, keyspaceFile, vpc, subnets, securityGroup, environment, redisPassword, logRetentionDays: 30 })
 */
export class KafkaConsumerService extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;
  readonly scaling: ecs.ScalableTaskCount;
  readonly lagAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: KafkaConsumerServiceProps) {
    super(scope, id);
    const { config } = props;
    if (config.maxTasks > config.partitionCount)
      throw new Error(
        `kafka consumer: maxTasks ${config.maxTasks} exceeds the partition count ${config.partitionCount}; the extra tasks would sit idle`,
      );
    const msk = mskResourceArns(config.mskClusterArn);
    const secrets: Record<string, ecs.Secret> = props.redisPassword
      ? { CDC_CACHE_REDIS_PASSWORD: ecs.Secret.fromSecretsManager(props.redisPassword) }
      : {};
    if (config.auth.mechanism === 'scram-sha-512') {
      const scram = secretsmanager.Secret.fromSecretCompleteArn(this, 'ScramSecret', config.auth.secretArn);
      secrets.CDC_CACHE_KAFKA_SASL_USERNAME = ecs.Secret.fromSecretsManager(scram, 'username');
      secrets.CDC_CACHE_KAFKA_SASL_PASSWORD = ecs.Secret.fromSecretsManager(scram, 'password');
    }
    const task = new WorkerTask(this, 'Task', {
      vpc: props.vpc,
      command: ['worker', 'kafka'],
      label: 'kafka consumer',
      cpu: config.cpu,
      memoryMiB: config.memoryMiB,
      cpuArchitecture: config.cpuArchitecture,
      ...(config.image ? { image: config.image } : {}),
      repoRoot: props.repoRoot,
      keyspaceFile: props.keyspaceFile,
      ...(config.keyspacePathInImage ? { keyspacePathInImage: config.keyspacePathInImage } : {}),
      environment: {
        ...props.environment,
        AWS_REGION: Stack.of(this).region,
        CDC_CACHE_KAFKA_BROKERS: config.brokers,
        CDC_CACHE_KAFKA_TOPICS: config.topics.join(','),
        CDC_CACHE_KAFKA_GROUP_ID: config.groupId,
        CDC_CACHE_KAFKA_CLIENT_ID: `cdc-cache-${Stack.of(this).stackName}`,
        CDC_CACHE_KAFKA_SSL: 'true',
        CDC_CACHE_KAFKA_SASL_MECHANISM: config.auth.mechanism,
        CDC_CACHE_DLQ_TOPIC: config.dlqTopic,
      },
      secrets,
      logRetentionDays: props.logRetentionDays,
    });
    this.cluster = task.cluster;
    this.taskDefinition = task.taskDefinition;
    if (config.auth.mechanism === 'scram-sha-512' && config.auth.secretKmsKeyArn) {
      this.taskDefinition.obtainExecutionRole().addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DecryptMskScramSecret',
          actions: ['kms:Decrypt'],
          resources: [config.auth.secretKmsKeyArn],
        }),
      );
    }

    if (config.auth.mechanism === 'aws-msk-iam') {
      const role = this.taskDefinition.taskRole;
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ConnectToTheCluster',
          actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
          resources: [config.mskClusterArn],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ReadTheChangeTopics',
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          resources: config.topics.map((topic) => msk.topic(topic)),
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'CommitOffsetsOfTheGroup',
          actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
          resources: [msk.group(config.groupId)],
        }),
      );
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'WriteTheDeadLetterTopic',
          actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
          resources: [msk.topic(config.dlqTopic)],
        }),
      );
    }

    if (config.mskSecurityGroupId) {
      const brokers = ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'MskSecurityGroup',
        config.mskSecurityGroupId,
      );
      // 9096 SCRAM, 9098 IAM (TLS listeners inside the VPC).
      brokers.addIngressRule(props.securityGroup, ec2.Port.tcpRange(9096, 9098), 'cdc-cache worker');
    }

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: config.minTasks,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });

    const lag = consumerLagMetric(msk.clusterName, config);
    this.scaling = this.service.autoScaleTaskCount({
      minCapacity: config.minTasks,
      maxCapacity: config.maxTasks,
    });
    this.scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: 60,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });
    // Every scaling step is a consumer-group rebalance: scale out on real lag, scale in slowly.
    this.scaling.scaleOnMetric('ConsumerLag', {
      metric: lag,
      adjustmentType: appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
      scalingSteps: [
        { upper: Math.max(1, Math.floor(config.lagAlarmSeconds / 4)), change: -1 },
        { lower: config.lagAlarmSeconds / 2, change: +1 },
        { lower: config.lagAlarmSeconds * 2, change: +2 },
      ],
      cooldown: Duration.minutes(3),
      evaluationPeriods: 3,
    });

    this.lagAlarm = new cloudwatch.Alarm(this, 'ConsumerLagAlarm', {
      alarmDescription: `cdc-cache: consumer group ${config.groupId} is more than ${config.lagAlarmSeconds}s behind its topics`,
      metric: lag,
      threshold: config.lagAlarmSeconds,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: cloudwatch.TreatMissingData.MISSING,
    });
  }
}

/** MSK's estimated time lag of the group, in seconds: the worst topic. */
function consumerLagMetric(clusterName: string, config: KafkaConsumerConfig): cloudwatch.IMetric {
  const perTopic = config.topics.map(
    (topic) =>
      new cloudwatch.Metric({
        namespace: 'AWS/Kafka',
        metricName: 'EstimatedMaxTimeLag',
        dimensionsMap: { 'Cluster Name': clusterName, 'Consumer Group': config.groupId, Topic: topic },
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
  );
  if (perTopic.length === 1) return perTopic[0]!;
  return new cloudwatch.MathExpression({
    expression: `MAX([${perTopic.map((_metric, index) => `t${index}`).join(', ')}])`,
    usingMetrics: Object.fromEntries(perTopic.map((metric, index) => [`t${index}`, metric])),
    label: `EstimatedMaxTimeLag of ${config.groupId} (worst topic)`,
    period: Duration.minutes(1),
  });
}
