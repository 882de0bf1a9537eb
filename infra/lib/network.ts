import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { Construct } from 'constructs';
import type { VpcConfig } from './config';

/** Properties of {@link Network}. */
export interface NetworkProps {
  readonly vpc: VpcConfig;
}

/**
 * The VPC the cache, the Lambda and the Fargate tasks share: imported by attributes (no context lookups, so
 * `cdk synth` needs no AWS credentials) or created with private subnets behind NAT.
 *
 * @example
 * const { vpc, privateSubnets } = new Network(this, 'Network', { vpc: { create: { maxAzs: 2, natGateways: 1 } } })
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: ec2.IVpc;
  /** Where the cache, the Lambda and the tasks run: private subnets with outbound access (NAT or endpoints). */
  readonly privateSubnets: ec2.SubnetSelection;

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if ('vpcId' in props.vpc) {
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: props.vpc.vpcId,
        availabilityZones: [...props.vpc.availabilityZones],
        privateSubnetIds: [...props.vpc.privateSubnetIds],
      });
      this.privateSubnets = { subnets: this.vpc.privateSubnets };
    } else {
      this.vpc = new ec2.Vpc(this, 'Vpc', {
        maxAzs: props.vpc.create.maxAzs,
        natGateways: props.vpc.create.natGateways,
        subnetConfiguration: [
          { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
          // Outbound through NAT: Secrets Manager, ECR, CloudWatch Logs and STS without one endpoint each.
          { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        ],
      });
      this.privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
    }
  }
}
