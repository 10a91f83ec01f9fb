import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { RELAY_METRICS, relaySettings } from '../../../lambdas/oltp/settings.js';
import { QUARANTINE_PREFIX } from '../../core/landing/object-keys.js';
import type { OltpConfig } from '../config.js';
import { objectsUnderPrefixes } from '../nag-findings.js';
import { grantBucketAccess } from './bucket-access.js';
import { EltFunction } from './elt-function.js';

/** What Lambda does on the execution role to attach a function to a VPC (no resource-level permissions). */
export const VPC_FUNCTION_EC2_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

/**
 * The Amazon CA bundle of the Lambda Node.js runtimes (the RDS CAs among them), which Node.js 20 and later
 * runtimes no longer load by default: NODE_EXTRA_CA_CERTS adds it to Node's own roots.
 */
export const LAMBDA_AMAZON_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/** Props of {@link OltpRelay}. */
export interface OltpRelayProps {
  readonly oltp: OltpConfig;
  /** The warehouse VPC: the function goes into its private isolated subnets. */
  readonly vpc: ec2.IVpc;
  readonly bus: events.IEventBus;
  /** Quarantine records go under quarantine/ of this bucket. */
  readonly rawBucket: s3.IBucket;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The outbox relay of the user's PostgreSQL database (`lambdas/oltp/relay.ts`), run every
 * `oltp.scheduleMinutes` by an EventBridge rule, one run at a time (reserved concurrency 1; several relays
 * would be safe with SKIP LOCKED, one is enough). It sits in the warehouse VPC's isolated subnets with a
 * security group of its own that the user allows on the database; that VPC has no route out, so it gets
 * interface endpoints for Secrets Manager and EventBridge (S3 goes through the VPC's gateway endpoint).
 * Its role reads exactly the one secret, puts events on exactly the app's bus and writes under
 * quarantine/ only.
 */
export class OltpRelay extends Construct {
  readonly relay: EltFunction;
  /** Allow this group on the database's port. */
  readonly securityGroup: ec2.SecurityGroup;
  readonly rule: events.Rule;
  private readonly metricsNamespace: string;
  private readonly serviceName: string;

  constructor(scope: Construct, id: string, props: OltpRelayProps) {
    super(scope, id);
    const { oltp, vpc } = props;
    this.metricsNamespace = props.metricsNamespace;
    this.serviceName = props.serviceName;
    const subnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };

    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc,
      description: 'The outbox relay: allow it on the database port',
      allowAllOutbound: false,
    });
    // The database's address is in the secret, read at run time, so egress names its port, not its address.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(oltp.port),
      'The database (oltp.port; its address is in the secret)',
    );
    // HTTPS reaches the interface endpoints below and S3 through the gateway endpoint. The S3 prefix list
    // has no CloudFormation lookup; the subnets are isolated, so nothing else answers on 443.
    this.securityGroup.addEgressRule(
      ec2.Peer.anyIpv4(),
      ec2.Port.tcp(443),
      'Secrets Manager and EventBridge endpoints, S3 through the gateway endpoint; isolated subnets',
    );
    const endpointGroup = new ec2.SecurityGroup(this, 'EndpointSecurityGroup', {
      vpc,
      description: 'Secrets Manager and EventBridge endpoints of the outbox relay',
      allowAllOutbound: false,
    });
    endpointGroup.addIngressRule(this.securityGroup, ec2.Port.tcp(443), 'The outbox relay');
    for (const [endpointId, service] of [
      ['SecretsManagerEndpoint', ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER],
      ['EventBridgeEndpoint', ec2.InterfaceVpcEndpointAwsService.EVENTBRIDGE],
    ] as const) {
      new ec2.InterfaceVpcEndpoint(this, endpointId, {
        vpc,
        service,
        subnets,
        securityGroups: [endpointGroup],
        open: false,
      });
    }

    const intervalSeconds = oltp.scheduleMinutes * 60;
    this.relay = new EltFunction(this, 'Function', {
      handler: 'oltp/relay',
      description: "Relays the marketplace database's outbox to the event bus",
      serviceName: props.serviceName,
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      memoryMb: 512,
      // A run ends before the next one starts; Lambda's limit is 15 minutes.
      timeout: Duration.seconds(Math.min(intervalSeconds, 900)),
      environment: {
        ...relaySettings.toEnvironment({
          bucket: props.rawBucket.bucketName,
          secretArn: oltp.secretArn,
          busName: props.bus.eventBusName,
          sslMode: oltp.sslMode,
          batchSize: oltp.batchSize,
        }),
        ...(oltp.sslMode === 'verify-full' ? { NODE_EXTRA_CA_CERTS: LAMBDA_AMAZON_CA_BUNDLE } : {}),
      },
      vpc: { vpc, subnets, securityGroups: [this.securityGroup] },
      reservedConcurrentExecutions: 1,
    });
    const fn = this.relay.function;
    // A run the schedule starts while the last one still runs is throttled: drop it rather than queue it.
    fn.configureAsyncInvoke({
      retryAttempts: 0,
      maxEventAge: Duration.seconds(Math.max(60, intervalSeconds)),
    });
    this.rule = new events.Rule(this, 'Schedule', {
      description: 'Runs the outbox relay',
      schedule: events.Schedule.rate(Duration.minutes(oltp.scheduleMinutes)),
      targets: [new targets.LambdaFunction(fn, { retryAttempts: 0 })],
    });

    const role = this.relay.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [oltp.secretArn] }),
    );
    if (oltp.kmsKeyArn) {
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['kms:Decrypt'],
          resources: [oltp.kmsKeyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` },
          },
        }),
      );
    }
    props.bus.grantPutEventsTo(role);
    grantBucketAccess(props.rawBucket, role, { put: [QUARANTINE_PREFIX] });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: [...VPC_FUNCTION_EC2_ACTIONS], resources: ['*'] }),
    );
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Writes quarantine records under quarantine/ only; object names (partition and record hash) are made at run time.',
          appliesTo: [objectsUnderPrefixes(QUARANTINE_PREFIX)],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Lambda creates, describes and deletes the network interfaces of a function in a VPC at run time; these EC2 actions take no resource ARNs that are known in advance (the rights of the AWSLambdaVPCAccessExecutionRole policy, granted inline).',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }

  /** One of the relay's Powertools metrics over 5 minutes. */
  metric(name: keyof typeof RELAY_METRICS, statistic: 'Maximum' | 'Sum'): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: this.metricsNamespace,
      metricName: RELAY_METRICS[name],
      dimensionsMap: { service: this.serviceName },
      statistic,
      period: Duration.minutes(5),
    });
  }
}
