import { extname, join, relative } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { LambdaRuntime, StreamConsumerConfig } from './config';

/** Where the bundle puts the keyspace: the Lambda's task root is /var/task. */
export const LAMBDA_TASK_ROOT = '/var/task';

/** Properties of {@link StreamConsumer}. */
export interface StreamConsumerProps {
  readonly config: StreamConsumerConfig;
  /** The repository root (esbuild project root; the Lambda entry is `src/lambda/index.ts` under it). */
  readonly repoRoot: string;
  /** Absolute path of the keyspace file; it is copied into the bundle. */
  readonly keyspaceFile: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly securityGroup: ec2.ISecurityGroup;
  /** Environment of the cache connection (CDC_CACHE_REDIS_*) and shared settings. */
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetentionDays: number;
  /** The Lambda runtime (default `nodejs22.x`); the bundle targets the same Node.js. */
  readonly runtime?: LambdaRuntime;
}

/**
 * The DynamoDB Streams consumer: the `cdc-cache/lambda` handler (Node.js 22 by default, or 24; ARM64, bundled by the local
 * esbuild), an event source mapping that reports partial batch failures, bisects failing batches, bounds
 * retries and record age and sends what it gives up on to an SQS queue, and alarms on iterator age, errors
 * and the queue's depth.
 *
 * @example
 * new StreamConsumer(this, 'StreamConsumer', { config, repoRoot, keyspaceFile, vpc, subnets, securityGroup, environment, logRetentionDays: 30 })
 */
export class StreamConsumer extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly eventSourceMapping: lambda.EventSourceMapping;
  /** On-failure destination: each message names the shard and sequence-number range that was skipped. */
  readonly deadLetterQueue: sqs.Queue;
  readonly alarms: cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: StreamConsumerProps) {
    super(scope, id);
    const { config } = props;
    const keyspaceName = `keyspace${extname(props.keyspaceFile)}`;
    const keyspaceInRepo = relative(props.repoRoot, props.keyspaceFile);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const logGroup = new logs.LogGroup(this, 'LogGroup', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.function = new nodejs.NodejsFunction(this, 'Function', {
      description: `cdc-cache: invalidates cache entries from the ${config.tableName} stream`,
      entry: join(props.repoRoot, 'src', 'lambda', 'index.ts'),
      handler: 'handler',
      projectRoot: props.repoRoot,
      depsLockFilePath: join(props.repoRoot, 'package-lock.json'),
      runtime: props.runtime === 'nodejs24.x' ? lambda.Runtime.NODEJS_24_X : lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(60),
      vpc: props.vpc,
      vpcSubnets: props.subnets,
      securityGroups: [props.securityGroup],
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      environment: {
        ...props.environment,
        CDC_CACHE_KEYSPACE: `${LAMBDA_TASK_ROOT}/${keyspaceName}`,
        CDC_CACHE_DYNAMODB_TABLE: config.tableName,
        ...(config.versionAttribute ? { CDC_CACHE_DYNAMODB_VERSION_ATTRIBUTE: config.versionAttribute } : {}),
        NODE_OPTIONS: '--enable-source-maps',
      },
      bundling: {
        forceDockerBundling: false,
        target: props.runtime === 'nodejs24.x' ? 'node24' : 'node22',
        format: nodejs.OutputFormat.CJS,
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        // loadKeyspace keeps a dynamic require for .js keyspaces; the bundle only ever loads a data file.
        esbuildArgs: { '--log-override:unsupported-require-call': 'silent' },
        // As scripts/build-lambda.mjs: the nodejs22.x runtime provides SDK v3; a smaller bundle starts faster.
        bundleAwsSDK: false,
        // The runtime provides @aws-sdk (the default this list replaces); GLIDE (optional, a native binary) is
        // loaded only for a GLIDE client, as in scripts/build-lambda.mjs.
        externalModules: ['@aws-sdk/*', '@valkey/valkey-glide'],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          // The keyspace is data read at cold start; the Lua scripts are read beside the bundle (__dirname/lua).
          afterBundling: (inputDir: string, outputDir: string) => [
            `cp "${join(inputDir, keyspaceInRepo)}" "${join(outputDir, keyspaceName)}"`,
            `cp -R "${join(inputDir, 'src', 'redis', 'lua')}" "${join(outputDir, 'lua')}"`,
          ],
        },
      },
    });

    // Read access to this one stream only. ListStreams is scoped too: the mapping names the stream ARN.
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadTheTableStream',
        actions: [
          'dynamodb:DescribeStream',
          'dynamodb:GetRecords',
          'dynamodb:GetShardIterator',
          'dynamodb:ListStreams',
        ],
        resources: [config.tableStreamArn],
      }),
    );

    this.eventSourceMapping = new lambda.EventSourceMapping(this, 'EventSourceMapping', {
      target: this.function,
      eventSourceArn: config.tableStreamArn,
      // LATEST: the cache starts empty with this stack, so nothing older than the mapping can be stale in it;
      // TRIM_HORIZON would replay up to 24 h of history first and delay every fresh invalidation behind it.
      startingPosition: lambda.StartingPosition.LATEST,
      batchSize: config.batchSize,
      maxBatchingWindow: Duration.seconds(config.maxBatchingWindowSeconds),
      parallelizationFactor: config.parallelizationFactor,
      reportBatchItemFailures: true,
      bisectBatchOnError: true,
      retryAttempts: config.retryAttempts,
      maxRecordAge: Duration.seconds(config.maxRecordAgeSeconds),
      onFailure: new SqsDlq(this.deadLetterQueue),
    });

    const alarm = (alarmId: string, props: cloudwatch.AlarmProps) =>
      new cloudwatch.Alarm(this, alarmId, props);
    this.alarms = [
      alarm('IteratorAgeAlarm', {
        alarmDescription: `cdc-cache: ${config.tableName} stream changes wait more than ${config.iteratorAgeAlarmMs} ms before they invalidate the cache`,
        metric: this.function.metric('IteratorAge', { statistic: 'Maximum', period: Duration.minutes(1) }),
        threshold: config.iteratorAgeAlarmMs,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      alarm('ErrorsAlarm', {
        alarmDescription: `cdc-cache: the ${config.tableName} stream consumer failed whole invocations`,
        metric: this.function.metricErrors({ statistic: 'Sum', period: Duration.minutes(1) }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
      alarm('DeadLetterQueueAlarm', {
        alarmDescription: `cdc-cache: ${config.tableName} stream records were given up on (see the queue for shard and sequence range)`,
        metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          statistic: 'Maximum',
          period: Duration.minutes(1),
        }),
        threshold: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      }),
    ];
  }
}
