import { Fn, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as elasticache from 'aws-cdk-lib/aws-elasticache';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { type RedisRole, redisAclRules } from '../../src/redis/redis-acl-rules';

/** ElastiCache Serverless serves the primary endpoint on 6379 and the reader endpoint on 6380. */
export const CACHE_PORTS = ec2.Port.tcpRange(6379, 6380);

/** Defaults of {@link CacheProps}. */
export const CACHE_DEFAULTS = {
  engine: 'valkey',
  majorEngineVersion: '8',
  workerUsername: 'cdc-cache-worker',
  readerUsername: 'cdc-cache-reader',
} as const;

/** Properties of {@link Cache}. */
export interface CacheProps {
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  /** ElastiCache names and user IDs derive from it: lower-case letters, digits, hyphens, at most 30 characters. */
  readonly cacheName: string;
  /** Every key the worker and the SDK touch starts with it; the users' ACLs are scoped to it ('' = all keys) and to their role. */
  readonly keyPrefix: string;
  /** Security groups of read services that may connect (in addition to {@link Cache.clientSecurityGroup}). */
  readonly readServiceSecurityGroupIds?: readonly string[];
  readonly maxDataStorageGb?: number;
  readonly maxEcpuPerSecond?: number;
  /** `password` (default): RBAC users with Secrets Manager passwords; `iam`: IAM-enabled users, no password. */
  readonly auth?: 'password' | 'iam';
}

/**
 * The ACL access string of a cdc-cache user: enabled, keys under the prefix only and by role (the worker
 * every key there; the read services entries, tag sets and generations read-only, never the worker's own
 * keys or its dead letters), every command except the dangerous ones (FLUSHALL, KEYS, CONFIG, DEBUG, ...),
 * but INFO, which ioredis's ready check sends. The rules are `redisAclRules` of the library, which the
 * integration tests apply to a real Redis.
 *
 * @example
 * cacheAccessString('shop:', 'worker') // 'on %RW~shop:* +@all -@dangerous +info'
 */
export function cacheAccessString(keyPrefix: string, role: RedisRole): string {
  return redisAclRules(role, keyPrefix).join(' ');
}

/**
 * ElastiCache Serverless (Valkey): TLS in transit always (Serverless has no plaintext listener), AUTH by
 * RBAC users whose passwords live in Secrets Manager, and a security group with no ingress except from the
 * worker and the read services that are explicitly allowed.
 *
 * @example
 * const cache = new Cache(this, 'Cache', { vpc, subnets, cacheName: 'cdc-cache', keyPrefix: 'shop:' })
 * cache.allowFrom(workerSecurityGroup, 'cdc-cache worker')
 */
export class Cache extends Construct {
  /** The cache's own security group: no rule but the ones {@link allowFrom} adds. */
  readonly securityGroup: ec2.SecurityGroup;
  /** Attach to a read service (ECS task, Lambda, instance) to let it reach the cache. */
  readonly clientSecurityGroup: ec2.SecurityGroup;
  /** The serverless cache resource. */
  readonly resource: elasticache.CfnServerlessCache;
  /** `rediss://<endpoint>:<port>`: TLS is the only way in. */
  readonly url: string;
  readonly endpointAddress: string;
  readonly endpointPort: string;
  /** The worker's RBAC username and its password (a plain string secret; none with IAM auth). */
  readonly workerUsername: string;
  readonly workerPassword: secretsmanager.Secret | undefined;
  /** The read services' RBAC username and its password (a plain string secret; none with IAM auth). */
  readonly readerUsername: string;
  readonly readerPassword: secretsmanager.Secret | undefined;
  /** True when the users authenticate with IAM tokens (`elasticache:Connect`) instead of passwords. */
  readonly iamAuth: boolean;
  private readonly users: { readonly worker: elasticache.CfnUser; readonly reader: elasticache.CfnUser };

  constructor(scope: Construct, id: string, props: CacheProps) {
    super(scope, id);
    const { cacheName } = props;

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: `${cacheName}: ElastiCache Serverless, reachable only from the cdc-cache worker and read services`,
      allowAllOutbound: false,
    });
    this.clientSecurityGroup = new ec2.SecurityGroup(this, 'ClientSecurityGroup', {
      vpc: props.vpc,
      description: `${cacheName}: attach to a read service to reach the cache`,
      allowAllOutbound: false,
    });
    this.clientSecurityGroup.addEgressRule(this.securityGroup, CACHE_PORTS, 'to the cache');
    this.allowFrom(this.clientSecurityGroup, 'read services (client security group)');
    for (const [index, groupId] of (props.readServiceSecurityGroupIds ?? []).entries()) {
      this.allowFrom(
        ec2.SecurityGroup.fromSecurityGroupId(this, `ReadService${index}`, groupId, { mutable: false }),
        `read service ${groupId}`,
      );
    }

    // Passwords: 40 alphanumerics (ElastiCache refuses some punctuation, and URLs would need escaping).
    const password = (idSuffix: string, who: string) =>
      new secretsmanager.Secret(this, `${idSuffix}Password`, {
        description: `${cacheName}: ElastiCache password of ${who}`,
        generateSecretString: { passwordLength: 40, excludePunctuation: true, includeSpace: false },
        removalPolicy: RemovalPolicy.DESTROY,
      });
    this.iamAuth = props.auth === 'iam';
    // An IAM-enabled ElastiCache user must have its user ID as its name.
    this.workerUsername = this.iamAuth ? `${cacheName}-worker` : CACHE_DEFAULTS.workerUsername;
    this.readerUsername = this.iamAuth ? `${cacheName}-reader` : CACHE_DEFAULTS.readerUsername;
    this.workerPassword = this.iamAuth ? undefined : password('Worker', 'the cdc-cache worker');
    this.readerPassword = this.iamAuth ? undefined : password('Reader', 'the read services');
    const authentication = (secret: secretsmanager.Secret | undefined) =>
      secret ? { passwords: [secret.secretValue.unsafeUnwrap()] } : { authenticationMode: { Type: 'iam' } };

    // A user group must hold a user named 'default'; ours is switched off, so unauthenticated clients get nothing.
    const defaultUser = new elasticache.CfnUser(this, 'DefaultUser', {
      engine: CACHE_DEFAULTS.engine,
      userId: `${cacheName}-default`,
      userName: 'default',
      accessString: 'off -@all',
      noPasswordRequired: true,
    });
    const workerUser = new elasticache.CfnUser(this, 'WorkerUser', {
      engine: CACHE_DEFAULTS.engine,
      userId: `${cacheName}-worker`,
      userName: this.workerUsername,
      accessString: cacheAccessString(props.keyPrefix, 'worker'),
      ...authentication(this.workerPassword),
    });
    const readerUser = new elasticache.CfnUser(this, 'ReaderUser', {
      engine: CACHE_DEFAULTS.engine,
      userId: `${cacheName}-reader`,
      userName: this.readerUsername,
      accessString: cacheAccessString(props.keyPrefix, 'reader'),
      ...authentication(this.readerPassword),
    });
    this.users = { worker: workerUser, reader: readerUser };
    const userGroup = new elasticache.CfnUserGroup(this, 'UserGroup', {
      engine: CACHE_DEFAULTS.engine,
      userGroupId: `${cacheName}-users`,
      userIds: [defaultUser.ref, workerUser.ref, readerUser.ref],
    });

    this.resource = new elasticache.CfnServerlessCache(this, 'Resource', {
      serverlessCacheName: cacheName,
      description: 'cdc-cache: cache-aside entries kept fresh by change data capture',
      engine: CACHE_DEFAULTS.engine,
      majorEngineVersion: CACHE_DEFAULTS.majorEngineVersion,
      connectionType: 'vpc',
      securityGroupIds: [this.securityGroup.securityGroupId],
      subnetIds: props.vpc.selectSubnets(props.subnets).subnetIds,
      userGroupId: userGroup.ref,
      ...(props.maxDataStorageGb || props.maxEcpuPerSecond
        ? {
            cacheUsageLimits: {
              ...(props.maxDataStorageGb
                ? { dataStorage: { maximum: props.maxDataStorageGb, unit: 'GB' } }
                : {}),
              ...(props.maxEcpuPerSecond ? { ecpuPerSecond: { maximum: props.maxEcpuPerSecond } } : {}),
            },
          }
        : {}),
    });
    // Every entry can be refilled from the database: a teardown deletes the cache without a final snapshot.
    this.resource.applyRemovalPolicy(RemovalPolicy.DESTROY);

    this.endpointAddress = this.resource.attrEndpointAddress;
    this.endpointPort = this.resource.attrEndpointPort;
    this.url = Fn.join('', ['rediss://', this.endpointAddress, ':', this.endpointPort]);
  }

  /** Let a security group reach the cache on its TLS ports (6379 primary, 6380 reader). */
  allowFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.securityGroup.addIngressRule(peer, CACHE_PORTS, description);
  }

  /** Let a principal read the worker's cache password (password auth only). */
  grantWorkerPasswordRead(grantee: iam.IGrantable): iam.Grant | undefined {
    return this.workerPassword?.grantRead(grantee);
  }

  /**
   * Let a principal connect as the worker or the reader user with an IAM token: `elasticache:Connect` on
   * the serverless cache and on that user (IAM auth only).
   */
  grantConnect(grantee: iam.IGrantable, user: 'worker' | 'reader'): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ['elasticache:Connect'],
      resourceArns: [this.resource.attrArn, this.users[user].attrArn],
    });
  }

  /** The statement of {@link grantConnect}, for a policy that read services attach to their own role. */
  connectStatement(user: 'worker' | 'reader'): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['elasticache:Connect'],
      resources: [this.resource.attrArn, this.users[user].attrArn],
    });
  }
}
