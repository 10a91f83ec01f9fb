import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import { ConstructPropsError } from '../construct-errors.js';

/** The port of MSK Serverless's IAM (SASL/IAM over TLS) listener, the only one it has. */
export const MSK_IAM_PORT = 9098;

/** Props of {@link KafkaCluster}. */
export interface KafkaClusterProps {
  /** Cluster name (1–64 of a-z A-Z 0-9 -, starting with a letter or digit). */
  readonly clusterName: string;
  /** The VPC whose private isolated subnets hold the cluster's endpoints (at least two AZs). */
  readonly vpc: ec2.IVpc;
}

/**
 * An MSK Serverless cluster for the Kafka landing path, in the private isolated subnets of the
 * warehouse's VPC. MSK Serverless supports only IAM access control: every client, the Lambda event
 * source mapping included, authenticates with SigV4 on port 9098 and is authorized by `kafka-cluster:*`
 * IAM actions on the cluster, topic and group ARNs.
 *
 * Topics are not created here: producers or an admin create them (for example with
 * `kafka-topics.sh --create` through the IAM auth client, or the producer's auto-create). CloudFormation's
 * `AWS::MSK::Topic` is not confirmed to support serverless clusters, so it is not used.
 *
 * Network: one security group for the cluster and the event source mapping's network interfaces (Lambda
 * puts those in the cluster's subnets with the cluster's security groups); it lets Kafka traffic in on
 * 9098 from itself only. The VPC has no route out, so in on-demand mode the mapping reaches Lambda and
 * STS through interface endpoints created here, which accept HTTPS from that group only. They are kept in
 * provisioned mode too, so switching modes does not touch this stack. The mapping's on-failure bucket is
 * reached through the VPC's S3 gateway endpoint (Lambda requires an endpoint for the destination service
 * in the cluster's VPC).
 */
export class KafkaCluster extends Construct {
  readonly cluster: msk.CfnServerlessCluster;
  readonly clusterName: string;
  readonly clusterArn: string;
  /** The security group of the cluster and of the event source mapping's network interfaces. */
  readonly securityGroup: ec2.SecurityGroup;
  /** The security group of the Lambda and STS interface endpoints. */
  readonly endpointSecurityGroup: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    if (!/^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/.test(props.clusterName))
      throw new ConstructPropsError(
        `KafkaCluster: clusterName must be 1–64 of a-z A-Z 0-9 -, got "${props.clusterName}"`,
      );
    const subnets = props.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description:
        'MSK Serverless and the Lambda Kafka event source mapping: Kafka over IAM on 9098 within this group',
      allowAllOutbound: false,
    });
    this.securityGroup.addIngressRule(
      this.securityGroup,
      ec2.Port.tcp(MSK_IAM_PORT),
      'Kafka IAM listener, from this group only',
    );
    this.securityGroup.addEgressRule(
      this.securityGroup,
      ec2.Port.tcp(MSK_IAM_PORT),
      'Event source mapping to the Kafka IAM listener',
    );

    this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc: props.vpc,
      description: 'Lambda and STS interface endpoints: HTTPS from the Kafka security group only',
      allowAllOutbound: false,
    });
    this.endpointSecurityGroup.addIngressRule(
      this.securityGroup,
      ec2.Port.tcp(443),
      'HTTPS from the Kafka event source mapping',
    );
    this.securityGroup.addEgressRule(
      this.endpointSecurityGroup,
      ec2.Port.tcp(443),
      'Event source mapping to the Lambda and STS endpoints',
    );
    // The mapping writes the batches it gives up on to S3 (its on-failure destination) from these
    // subnets, through the VPC's S3 gateway endpoint. The S3 prefix list that would name that route has
    // no CloudFormation lookup; the subnets are isolated (no NAT, no internet gateway), so HTTPS from here
    // reaches only the VPC's endpoints.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'Event source mapping to S3 (on-failure destination) through the gateway endpoint; isolated subnets',
    );
    for (const [endpointId, service] of [
      ['LambdaEndpoint', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
      ['StsEndpoint', ec2.InterfaceVpcEndpointAwsService.STS],
    ] as const) {
      new ec2.InterfaceVpcEndpoint(this, endpointId, {
        vpc: props.vpc,
        service,
        subnets: { subnets: subnets.subnets },
        securityGroups: [this.endpointSecurityGroup],
        open: false,
        privateDnsEnabled: true,
      });
    }

    this.clusterName = props.clusterName;
    this.cluster = new msk.CfnServerlessCluster(this, 'Cluster', {
      clusterName: props.clusterName,
      clientAuthentication: { sasl: { iam: { enabled: true } } },
      vpcConfigs: [{ subnetIds: subnets.subnetIds, securityGroups: [this.securityGroup.securityGroupId] }],
    });
    this.clusterArn = this.cluster.attrArn;
  }
}
