import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { PostgresConsumerConfig } from './config';
import { WorkerTask } from './worker-task';

/** Properties of {@link PostgresConsumerService}. */
export interface PostgresConsumerServiceProps {
  readonly config: PostgresConsumerConfig;
  readonly repoRoot: string;
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

/**
 * The PostgreSQL consumer: `cdc-cache worker postgres` on ECS Fargate, streaming logical replication from
 * the database straight to the cache (no Kafka). `tasks` tasks share one slot: PostgreSQL lets one stream
 * from it, the others stand by and take over when it stops, so a deployment or a lost task never stops
 * invalidation for longer than a retry. Never scaled on load: a slot has one consumer.
 *
 * @example
 * new PostgresConsumerService(this, 'PostgresConsumer', { config, repoRoot, keyspaceFile, vpc, subnets, securityGroup, environment, redisPassword, logRetentionDays: 30 })
 */
export class PostgresConsumerService extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly service: ecs.FargateService;

  constructor(scope: Construct, id: string, props: PostgresConsumerServiceProps) {
    super(scope, id);
    const { config } = props;
    const password = secretsmanager.Secret.fromSecretCompleteArn(
      this,
      'PostgresPassword',
      config.passwordSecretArn,
    );
    const task = new WorkerTask(this, 'Task', {
      vpc: props.vpc,
      command: ['worker', 'postgres'],
      label: 'postgres consumer',
      cpu: config.cpu,
      memoryMiB: config.memoryMiB,
      cpuArchitecture: config.cpuArchitecture,
      ...(config.image ? { image: config.image } : {}),
      repoRoot: props.repoRoot,
      keyspaceFile: props.keyspaceFile,
      ...(config.keyspacePathInImage ? { keyspacePathInImage: config.keyspacePathInImage } : {}),
      environment: {
        ...props.environment,
        CDC_CACHE_POSTGRES_URL: config.url,
        CDC_CACHE_POSTGRES_SLOT: config.slot,
        CDC_CACHE_POSTGRES_PUBLICATION: config.publication,
        ...(config.tables ? { CDC_CACHE_POSTGRES_TABLES: config.tables.join(',') } : {}),
      },
      secrets: {
        ...(props.redisPassword
          ? { CDC_CACHE_REDIS_PASSWORD: ecs.Secret.fromSecretsManager(props.redisPassword) }
          : {}),
        CDC_CACHE_POSTGRES_PASSWORD: ecs.Secret.fromSecretsManager(password),
      },
      logRetentionDays: props.logRetentionDays,
    });
    this.taskDefinition = task.taskDefinition;

    if (config.databaseSecurityGroupId) {
      const database = ec2.SecurityGroup.fromSecurityGroupId(
        this,
        'DatabaseSecurityGroup',
        config.databaseSecurityGroupId,
      );
      database.addIngressRule(props.securityGroup, ec2.Port.tcp(5432), 'cdc-cache PostgreSQL worker');
    }

    this.service = new ecs.FargateService(this, 'Service', {
      cluster: task.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: config.tasks,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      assignPublicIp: false,
      // A replacement task starts (and stands by) before the old one stops, then takes over the slot.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      circuitBreaker: { enable: true, rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
    });
  }
}
