import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Duration, RemovalPolicy, Size } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The worker's health, readiness and metrics port (CDC_CACHE_HTTP_PORT). */
export const WORKER_HTTP_PORT = 9464;

/** Where the keyspace volume is mounted in the worker (read-only) and the init container (read-write). */
export const KEYSPACE_MOUNT = '/etc/cdc-cache';

/** The task definition carries the keyspace inline; keep it far below the 64 KiB task definition limit. */
export const MAX_INLINE_KEYSPACE_BYTES = 32 * 1024;

/** Paths never sent to the Docker build (a `.dockerignore` in the repository adds to these). */
export const DOCKER_BUILD_EXCLUDES = [
  'node_modules',
  '.git',
  '.stack',
  'coverage',
  'cdk.out',
  'infra/cdk.out',
  // Not read by the image build: left out so that editing them does not change the image's asset hash.
  'dist-lambda',
  '*.md',
];

/** Properties of {@link WorkerTask}. */
export interface WorkerTaskProps {
  readonly vpc: ec2.IVpc;
  /** The CLI command after the image's entry point, e.g. `['worker', 'kafka']`. */
  readonly command: readonly string[];
  /** Names the worker in errors (`kafka consumer`). */
  readonly label: string;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly cpuArchitecture: 'arm64' | 'x86_64';
  /** A pre-built image instead of building the repository's Dockerfile. */
  readonly image?: string;
  /** The Docker build context. */
  readonly repoRoot: string;
  /** Absolute path of the keyspace file: written into the task's keyspace volume at start. */
  readonly keyspaceFile: string;
  /** Where the keyspace is inside the image instead (no init container). */
  readonly keyspacePathInImage?: string;
  /** The container's environment, besides CDC_CACHE_KEYSPACE and CDC_CACHE_HTTP_PORT. */
  readonly environment: Readonly<Record<string, string>>;
  readonly secrets: Readonly<Record<string, ecs.Secret>>;
  readonly logRetentionDays: number;
}

/**
 * A cdc-cache worker's Fargate task: cluster, task definition, the worker container (the image's entry point
 * is the CLI) with its health check and non-blocking CloudWatch logs, and the keyspace written into a task
 * volume by an init container. Each worker service adds its own permissions, service and alarms.
 *
 * @example
 * const task = new WorkerTask(this, 'Task', { vpc, command: ['worker', 'postgres'], label: 'postgres consumer', ... })
 */
export class WorkerTask extends Construct {
  readonly cluster: ecs.Cluster;
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;

  constructor(scope: Construct, id: string, props: WorkerTaskProps) {
    super(scope, id);
    const arm = props.cpuArchitecture === 'arm64';
    const keyspacePath =
      props.keyspacePathInImage ?? `${KEYSPACE_MOUNT}/keyspace${extname(props.keyspaceFile)}`;

    // Created in the worker service's scope: the logical IDs (and so the deployed resources) stay those of
    // the service, whichever worker it is.
    this.cluster = new ecs.Cluster(scope, 'Cluster', {
      vpc: props.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });

    this.taskDefinition = new ecs.FargateTaskDefinition(scope, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: arm ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      },
    });

    const image = props.image
      ? ecs.ContainerImage.fromRegistry(props.image)
      : ecs.ContainerImage.fromAsset(props.repoRoot, {
          platform: arm ? Platform.LINUX_ARM64 : Platform.LINUX_AMD64,
          exclude: DOCKER_BUILD_EXCLUDES,
        });

    const logGroup = new logs.LogGroup(scope, 'LogGroup', {
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logging = (streamPrefix: string) =>
      ecs.LogDrivers.awsLogs({
        logGroup,
        streamPrefix,
        // A slow log pipe must not stall consumption: drop log lines rather than invalidations.
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      });

    const worker = this.taskDefinition.addContainer('worker', {
      image,
      // The image's entry point is the cdc-cache CLI (as docker-compose.yml runs it).
      command: [...props.command],
      essential: true,
      readonlyRootFilesystem: true,
      stopTimeout: Duration.seconds(60),
      environment: {
        ...props.environment,
        CDC_CACHE_KEYSPACE: keyspacePath,
        CDC_CACHE_HTTP_PORT: String(WORKER_HTTP_PORT),
      },
      secrets: { ...props.secrets },
      portMappings: [{ containerPort: WORKER_HTTP_PORT, name: 'http' }],
      // Node is in any image that runs the worker; curl and wget are not.
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${WORKER_HTTP_PORT}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(60),
      },
      logging: logging('worker'),
    });
    this.container = worker;

    if (props.keyspacePathInImage === undefined) {
      // The keyspace is configuration, not code: an init container (the same image, so node is there) writes it
      // into a task volume that the worker mounts read-only. A keyspace change is a new task definition, not a new image.
      const keyspace = readFileSync(props.keyspaceFile, 'utf8');
      if (Buffer.byteLength(keyspace) > MAX_INLINE_KEYSPACE_BYTES)
        throw new Error(
          `${props.label}: the keyspace ${props.keyspaceFile} is over ${MAX_INLINE_KEYSPACE_BYTES} bytes; bake it into an image (image + keyspacePathInImage)`,
        );
      this.taskDefinition.addVolume({ name: 'keyspace' });
      const writer = this.taskDefinition.addContainer('keyspace', {
        image,
        essential: false,
        // Root only to write into the fresh volume (root-owned); the worker reads it as the image's own user.
        user: '0',
        readonlyRootFilesystem: true,
        entryPoint: [
          'node',
          '-e',
          'require("node:fs").writeFileSync(process.argv[1], process.argv[2], { mode: 0o644 })',
        ],
        command: [keyspacePath, keyspace],
        logging: logging('keyspace'),
      });
      writer.addMountPoints({ sourceVolume: 'keyspace', containerPath: KEYSPACE_MOUNT, readOnly: false });
      worker.addMountPoints({ sourceVolume: 'keyspace', containerPath: KEYSPACE_MOUNT, readOnly: true });
      worker.addContainerDependencies({
        container: writer,
        condition: ecs.ContainerDependencyCondition.SUCCESS,
      });
    }
  }
}
