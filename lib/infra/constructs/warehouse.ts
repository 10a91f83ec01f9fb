import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as redshiftserverless from 'aws-cdk-lib/aws-redshiftserverless';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RAW_PREFIX } from '../../core/landing/object-keys.js';
import { objectsUnderPrefixes } from '../nag-findings.js';

/** The prefix of the COPY manifests the ELT writes into the raw bucket. */
export const MANIFEST_PREFIX = 'manifests/';

/**
 * Base capacities Redshift Serverless accepts: 4, 8–512 in steps of 8, and in the largest regions up to
 * 1,024 in steps of 32 (Redshift Serverless management guide, "Understanding capacity"; checked
 * 2026-11-25, docs/aws-limits.md).
 */
export function isValidBaseCapacity(rpu: number): boolean {
  return (
    rpu === 4 || (rpu >= 8 && rpu <= 512 && rpu % 8 === 0) || (rpu > 512 && rpu <= 1024 && rpu % 32 === 0)
  );
}

/** Props of {@link Warehouse}. */
export interface WarehouseProps {
  /** Namespace and workgroup name (lowercase letters, digits, hyphens; 3–64). */
  readonly name: string;
  /** Redshift COPY reads raw objects and manifests from this bucket, nothing else. */
  readonly rawBucket: s3.IBucket;
  /** Base capacity in RPUs: see {@link isValidBaseCapacity}. */
  readonly baseCapacityRpu: number;
  readonly databaseName: string;
  readonly adminUsername: string;
  /** Three availability zones for the private subnets. */
  readonly availabilityZones: readonly string[];
  /** CIDR of the VPC. */
  readonly vpcCidr: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * Redshift Serverless in a VPC of its own: private subnets in three AZs with no route to the internet,
 * an S3 gateway endpoint (COPY with enhanced VPC routing goes through it), flow logs, a namespace whose
 * admin password Redshift generates and keeps in Secrets Manager (it never passes through this code or
 * the template; the pipeline itself uses IAM authentication), and the IAM role COPY uses, limited to
 * reading the raw prefix and the manifests.
 */
export class Warehouse extends Construct {
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly namespace: redshiftserverless.CfnNamespace;
  readonly workgroup: redshiftserverless.CfnWorkgroup;
  readonly copyRole: iam.Role;
  readonly workgroupName: string;
  readonly workgroupArn: string;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: WarehouseProps) {
    super(scope, id);
    if (!/^[a-z0-9-]{3,64}$/.test(props.name))
      throw new Error(`Warehouse: name must be 3–64 of a-z 0-9 -, got "${props.name}"`);
    if (!isValidBaseCapacity(props.baseCapacityRpu)) {
      throw new Error(
        `Warehouse: baseCapacityRpu must be 4, 8–512 in steps of 8, or 544–1,024 in steps of 32; got ${props.baseCapacityRpu}`,
      );
    }
    if (props.availabilityZones.length !== 3) {
      throw new Error(
        `Warehouse: Redshift Serverless needs subnets in three availability zones, got ${props.availabilityZones.length}`,
      );
    }

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention });
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.vpcCidr),
      availabilityZones: [...props.availabilityZones],
      natGateways: 0,
      subnetConfiguration: [{ name: 'warehouse', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'Redshift Serverless workgroup: no inbound; outbound stays in the VPC and its S3 endpoint',
      allowAllOutbound: true,
    });

    this.copyRole = new iam.Role(this, 'CopyRole', {
      description: 'Redshift COPY of landed raw objects and ELT manifests',
      assumedBy: new iam.CompositePrincipal(
        new iam.ServicePrincipal('redshift.amazonaws.com'),
        new iam.ServicePrincipal('redshift-serverless.amazonaws.com'),
      ),
    });
    this.copyRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject'],
        resources: [
          props.rawBucket.arnForObjects(`${RAW_PREFIX}*`),
          props.rawBucket.arnForObjects(`${MANIFEST_PREFIX}*`),
        ],
      }),
    );
    this.copyRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [props.rawBucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${RAW_PREFIX}*`, `${MANIFEST_PREFIX}*`] } },
      }),
    );
    NagSuppressions.addResourceSuppressions(
      this.copyRole,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'COPY reads any object under raw/ and manifests/ of the raw bucket: object names are not known in advance.',
          appliesTo: [objectsUnderPrefixes(RAW_PREFIX, MANIFEST_PREFIX)],
        },
      ],
      true,
    );

    this.workgroupName = props.name;
    this.databaseName = props.databaseName;
    this.namespace = new redshiftserverless.CfnNamespace(this, 'Namespace', {
      namespaceName: props.name,
      dbName: props.databaseName,
      adminUsername: props.adminUsername,
      manageAdminPassword: true,
      iamRoles: [this.copyRole.roleArn],
      defaultIamRoleArn: this.copyRole.roleArn,
      logExports: ['userlog', 'connectionlog', 'useractivitylog'],
    });
    this.workgroup = new redshiftserverless.CfnWorkgroup(this, 'Workgroup', {
      workgroupName: props.name,
      namespaceName: props.name,
      baseCapacity: props.baseCapacityRpu,
      subnetIds: this.vpc.isolatedSubnets.map((s) => s.subnetId),
      securityGroupIds: [this.securityGroup.securityGroupId],
      publiclyAccessible: false,
      enhancedVpcRouting: true,
    });
    this.workgroup.addResourceDependency(this.namespace);
    this.workgroupArn = this.workgroup.attrWorkgroupWorkgroupArn;
  }

  /**
   * Lets a function run SQL through the Redshift Data API on this workgroup with IAM authentication
   * (temporary credentials from `GetCredentials`, database user `IAMR:<role>`): no password reaches it.
   * Statement follow-up calls take a statement id, not a resource, so they are limited to the caller's
   * own statements by condition instead.
   */
  grantDataApi(grantee: iam.IGrantable): void {
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'redshift-data:ExecuteStatement',
        'redshift-data:BatchExecuteStatement',
        'redshift-serverless:GetCredentials',
      ],
      resourceArns: [this.workgroupArn],
    });
    iam.Grant.addToPrincipal({
      grantee,
      actions: [
        'redshift-data:DescribeStatement',
        'redshift-data:GetStatementResult',
        'redshift-data:CancelStatement',
        'redshift-data:ListStatements',
      ],
      resourceArns: ['*'],
      conditions: { StringEquals: { 'redshift-data:statement-owner-iam-userid': '${aws:userid}' } },
    });
  }
}
