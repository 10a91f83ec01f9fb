import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as redshiftserverless from 'aws-cdk-lib/aws-redshiftserverless';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RAW_PREFIX } from '../../core/landing/object-keys.js';
import { AZ_ID_PATTERN, describeZonesCommand } from '../availability-zone-ids.js';
import { objectsUnderPrefixes } from '../nag-findings.js';
import { ConstructPropsError } from '../construct-errors.js';

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

/** Props of {@link RedshiftServerlessWarehouse}. */
export interface RedshiftServerlessWarehouseProps {
  /** Namespace and workgroup name (lowercase letters, digits, hyphens; 3–64). */
  readonly name: string;
  /** Redshift COPY reads raw objects and manifests from this bucket, nothing else. */
  readonly rawBucket: s3.IBucket;
  /** Base capacity in RPUs: see {@link isValidBaseCapacity}. */
  readonly baseCapacityRpu: number;
  /**
   * The most RPUs the workgroup scales up to (`MaxCapacity`): at least the base capacity, in the same steps.
   * @default no cap: Redshift Serverless scales as far as it decides
   */
  readonly maxCapacityRpu?: number;
  readonly databaseName: string;
  readonly adminUsername: string;
  /**
   * Three different zones for the private subnets, all AZ IDs (`use1-az1`) or all AZ names (`us-east-1a`).
   * With IDs the subnets are placed by `AvailabilityZoneId`, the same physical zone in every account.
   */
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
export class RedshiftServerlessWarehouse extends Construct {
  readonly vpc: ec2.Vpc;
  readonly securityGroup: ec2.SecurityGroup;
  readonly namespace: redshiftserverless.CfnNamespace;
  readonly workgroup: redshiftserverless.CfnWorkgroup;
  readonly copyRole: iam.Role;
  readonly workgroupName: string;
  readonly workgroupArn: string;
  readonly databaseName: string;

  constructor(scope: Construct, id: string, props: RedshiftServerlessWarehouseProps) {
    super(scope, id);
    if (!/^[a-z0-9-]{3,64}$/.test(props.name))
      throw new ConstructPropsError(
        `RedshiftServerlessWarehouse: name must be 3–64 of a-z 0-9 -, got "${props.name}"`,
      );
    if (!isValidBaseCapacity(props.baseCapacityRpu)) {
      throw new ConstructPropsError(
        `RedshiftServerlessWarehouse: baseCapacityRpu must be 4, 8–512 in steps of 8, or 544–1,024 in steps of 32; got ${props.baseCapacityRpu}`,
      );
    }
    if (
      props.maxCapacityRpu !== undefined &&
      (props.maxCapacityRpu < props.baseCapacityRpu || !isValidBaseCapacity(props.maxCapacityRpu))
    ) {
      throw new ConstructPropsError(
        `RedshiftServerlessWarehouse: maxCapacityRpu must be at least baseCapacityRpu (${props.baseCapacityRpu}) and one of the capacity steps (4, 8–512 by 8, 544–1,024 by 32); got ${props.maxCapacityRpu}`,
      );
    }
    if (new Set(props.availabilityZones).size !== 3) {
      throw new ConstructPropsError(
        `RedshiftServerlessWarehouse: Redshift Serverless needs subnets in three different availability zones, got ${JSON.stringify(props.availabilityZones)}`,
      );
    }
    const azIds = props.availabilityZones.filter((z) => AZ_ID_PATTERN.test(z));
    if (azIds.length !== 0 && azIds.length !== 3) {
      throw new ConstructPropsError(
        `RedshiftServerlessWarehouse: availabilityZones must be all AZ IDs or all AZ names, got ${JSON.stringify(props.availabilityZones)}`,
      );
    }
    const region = Stack.of(this).region;
    if (azIds.length === 3 && Token.isUnresolved(region)) {
      throw new ConstructPropsError(
        `RedshiftServerlessWarehouse: AZ IDs need a stack with a known Region (env.region): set the stack's Region, then list its AZ IDs with: ${describeZonesCommand('<region>')}`,
      );
    }

    const flowLogs = new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention });
    // ec2.Vpc takes AZ names only. Given AZ IDs, it is built with the IDs standing in for names (the stack's
    // availabilityZones are the same strings, so the VPC accepts them) and each subnet then gets
    // AvailabilityZoneId instead of AvailabilityZone: the two exclude each other on AWS::EC2::Subnet (the
    // resource schema bundled with cfn-lint marks them dependentExcluded; read 2026-12-02).
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
    if (azIds.length === 3) {
      for (const subnet of this.vpc.isolatedSubnets) {
        const cfn = subnet.node.defaultChild as ec2.CfnSubnet;
        cfn.addPropertyDeletionOverride('AvailabilityZone');
        cfn.addPropertyOverride('AvailabilityZoneId', subnet.availabilityZone);
      }
    }
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: this.vpc,
      description: 'Redshift Serverless workgroup: no inbound; outbound stays in the VPC and its S3 endpoint',
      allowAllOutbound: true,
    });

    this.copyRole = copyRole(this, props.rawBucket);

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
      // MaxCapacity caps the RPUs the workgroup scales to, so a runaway query costs at most this many RPUs
      // per second it runs. CloudFormation and the API type it only as an integer in RPUs
      // (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-redshiftserverless-workgroup.html,
      // https://docs.aws.amazon.com/redshift-serverless/latest/APIReference/API_CreateWorkgroup.html, read
      // 2026-12-02); the allowed range was not found, so the config holds it to the base-capacity steps.
      ...(props.maxCapacityRpu !== undefined ? { maxCapacity: props.maxCapacityRpu } : {}),
      subnetIds: this.vpc.isolatedSubnets.map((s) => s.subnetId),
      securityGroupIds: [this.securityGroup.securityGroupId],
      publiclyAccessible: false,
      enhancedVpcRouting: true,
    });
    this.workgroup.addResourceDependency(this.namespace);
    this.workgroupArn = this.workgroup.attrWorkgroupWorkgroupArn;
  }

  /**
   * Lets a role run SQL through the Redshift Data API on this workgroup with IAM authentication (temporary
   * credentials from `GetCredentials`, database user `IAMR:<role>`): no password reaches it. Statement
   * follow-up calls take a statement id, not a resource, so they are limited by condition to statements of
   * this role, from any of its sessions: each Lambda function runs in a session of its own, and the fail
   * step must see and cancel what the load step started.
   */
  /** The namespace's id: the ELT keeps its watermark per namespace. */
  get namespaceId(): string {
    return this.namespace.attrNamespaceNamespaceId;
  }

  grantDataApi(role: iam.Role): void {
    grantDataApi(role, this.workgroupArn);
  }

  /**
   * RPU-seconds the workgroup used, summed per day: `ComputeSeconds` of namespace `AWS/Redshift-Serverless`
   * with dimension `Workgroup`. Divide by 3,600 for RPU-hours, the unit Redshift Serverless bills.
   */
  metricComputeSecondsPerDay(): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/Redshift-Serverless',
      metricName: 'ComputeSeconds',
      dimensionsMap: { Workgroup: this.workgroupName },
      statistic: 'Sum',
      period: Duration.days(1),
    });
  }
}

/**
 * The IAM role Redshift COPY assumes: reads the landed raw objects and the ELT's manifests of the raw
 * bucket, nothing else.
 */
export function copyRole(scope: Construct, rawBucket: s3.IBucket): iam.Role {
  const role = new iam.Role(scope, 'CopyRole', {
    description: 'Redshift COPY of landed raw objects and ELT manifests',
    assumedBy: new iam.CompositePrincipal(
      new iam.ServicePrincipal('redshift.amazonaws.com'),
      new iam.ServicePrincipal('redshift-serverless.amazonaws.com'),
    ),
  });
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3:GetObject'],
      resources: [rawBucket.arnForObjects(`${RAW_PREFIX}*`), rawBucket.arnForObjects(`${MANIFEST_PREFIX}*`)],
    }),
  );
  role.addToPolicy(
    new iam.PolicyStatement({
      actions: ['s3:ListBucket'],
      resources: [rawBucket.bucketArn],
      conditions: { StringLike: { 's3:prefix': [`${RAW_PREFIX}*`, `${MANIFEST_PREFIX}*`] } },
    }),
  );
  // s3:prefix is the prefix parameter of a list request ("limit the response of the GET Bucket (ListObjects)
  // API to key names with a specific prefix"; each S3 condition key "maps to the same name request
  // header allowed by the API on which the condition can be set"): a GetBucketLocation request has none,
  // so a statement conditioned on it never grants GetBucketLocation. It gets a statement of its own, on
  // the bucket only (https://docs.aws.amazon.com/AmazonS3/latest/userguide/amazon-s3-policy-keys.html,
  // read 2026-12-02; the IAM guide's example keeps GetBucketLocation out of the s3:prefix statement too:
  // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_statement.html).
  role.addToPolicy(
    new iam.PolicyStatement({ actions: ['s3:GetBucketLocation'], resources: [rawBucket.bucketArn] }),
  );
  NagSuppressions.addResourceSuppressions(
    role,
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

  return role;
}

/**
 * Lets `role` run statements on the workgroup `workgroupArn` through the Data API, and follow up (describe,
 * fetch, cancel, list) on its own statements only.
 */
export function grantDataApi(role: iam.Role, workgroupArn: string): void {
  iam.Grant.addToPrincipal({
    grantee: role,
    actions: [
      'redshift-data:ExecuteStatement',
      'redshift-data:BatchExecuteStatement',
      'redshift-serverless:GetCredentials',
    ],
    resourceArns: [workgroupArn],
  });
  // redshift-data:statement-owner-iam-userid "filters access by statement owner iam userid" and applies to
  // CancelStatement, DescribeStatement, GetStatementResult and ListStatements (Service Authorization
  // Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonredshiftdataapi.html,
  // read 2026-12-02 through its generated copy in udondan/iam-floyd). The owner id is the user id of the
  // session that ran the statement, `<role id>:<session name>` for a role session (the principalId of an
  // assumed role, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html,
  // read 2026-12-02); so `${aws:userid}` matched only the calling function's own session. `<role id>:*` matches every session of
  // this role and nothing else (the role id is unique, unlike the name, should the role be re-created).
  // ListStatements returns all statements of the caller's role by default (RoleLevel true,
  // https://docs.aws.amazon.com/redshift-data/latest/APIReference/API_ListStatements.html, read 2026-12-02).
  iam.Grant.addToPrincipal({
    grantee: role,
    actions: [
      'redshift-data:DescribeStatement',
      'redshift-data:GetStatementResult',
      'redshift-data:CancelStatement',
      'redshift-data:ListStatements',
    ],
    resourceArns: ['*'],
    conditions: { StringLike: { 'redshift-data:statement-owner-iam-userid': `${role.roleId}:*` } },
  });
}
