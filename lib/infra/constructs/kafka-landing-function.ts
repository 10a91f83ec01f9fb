import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions, type NagPackSuppression } from 'cdk-nag';
import { Construct } from 'constructs';
import { landingSettings } from '../../../lambdas/land/settings.js';
import { landingNodeOptions } from '../../core/landing/landing-heap.js';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../../core/landing/object-keys.js';
import type { KafkaConfig } from '../config.js';
import { allObjectsOfBucket, objectsUnderPrefixes } from '../nag-findings.js';
import { grantBucketAccess } from './bucket-access.js';
import { EltFunction } from './elt-function.js';
import { ConstructPropsError } from '../construct-errors.js';

/** The EC2 actions Lambda needs on the execution role to place a Kafka mapping's network interfaces. */
export const KAFKA_ESM_EC2_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeVpcs',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
] as const;

/** Props of {@link KafkaLandingFunction}. */
export interface KafkaLandingFunctionProps {
  readonly kafka: KafkaConfig;
  /** Landing writes under raw/ and quarantine/ of this bucket. */
  readonly rawBucket: s3.IBucket;
  /** The mapping's on-failure destination: batches it gives up on, records included. */
  readonly failureBucket: s3.IBucket;
  /** The MSK Serverless cluster; required with `kafka.mode` "msk-serverless". */
  readonly cluster?: { readonly clusterArn: string; readonly clusterName: string };
  /** Powertools service name of the function. */
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logRetention: logs.RetentionDays;
  readonly memoryMb: number;
  readonly timeout: Duration;
  /** How late (hours, by event time) an event may land and still go under its own partition. */
  readonly latenessHours: number;
}

/**
 * The Kafka variant of landing: a second landing function (`lambdas/land/kafka.ts`) that writes into the
 * same raw bucket, with the same rights as the SQS one (put under raw/ and quarantine/ only), fed by a
 * Kafka event source mapping on an MSK Serverless cluster (IAM auth) or a self-managed cluster
 * (SASL/SCRAM or basic auth from a Secrets Manager secret). Batches the mapping gives up on are written,
 * records included, to the failure bucket ({@link S3FailureDestination}).
 *
 * For MSK the mapping is made directly, not with CDK's `ManagedKafkaEventSource`: that class attaches
 * the `AWSLambdaMSKExecutionRole` managed policy (every Kafka cluster, ENI and log group of the account,
 * on `*`) and grants `kafka:DescribeCluster`, which MSK Serverless does not accept (it needs
 * `kafka:DescribeClusterV2`). The role gets exactly what the mapping uses instead.
 */
export class KafkaLandingFunction extends Construct {
  readonly landing: EltFunction;

  constructor(scope: Construct, id: string, props: KafkaLandingFunctionProps) {
    super(scope, id);
    const { kafka } = props;
    this.landing = new EltFunction(this, 'Function', {
      handler: 'land/kafka',
      description: 'Lands Kafka batches of bus events as gzip NDJSON in the raw bucket',
      serviceName: props.serviceName,
      metricsNamespace: props.metricsNamespace,
      logRetention: props.logRetention,
      memoryMb: props.memoryMb,
      timeout: props.timeout,
      environment: {
        ...landingSettings.toEnvironment({
          bucket: props.rawBucket.bucketName,
          latenessHours: props.latenessHours,
        }),
        NODE_OPTIONS: landingNodeOptions(props.memoryMb),
      },
    });
    const role = this.landing.role;
    // Like the SQS landing: writes under raw/ and quarantine/ and nowhere else; never reads or deletes.
    grantBucketAccess(props.rawBucket, role, { put: [RAW_PREFIX, QUARANTINE_PREFIX] });
    const suppressions: NagPackSuppression[] = [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'Writes objects under raw/ and quarantine/ only; object names (partition and batch hash) are made at run time.',
        appliesTo: [objectsUnderPrefixes(RAW_PREFIX, QUARANTINE_PREFIX)],
      },
    ];

    // Lambda writes the bucket's objects itself; PutObject on its keys and ListBucket are all it needs.
    suppressions.push({
      id: 'AwsSolutions-IAM5',
      reason:
        'The on-failure destination: Lambda names the objects (aws/lambda/<mapping>/…) at run time, in a bucket that holds nothing else.',
      appliesTo: [allObjectsOfBucket('KafkaFailuresBucket')],
    });

    const common = {
      batchSize: kafka.batchSize,
      maxBatchingWindow: Duration.seconds(kafka.batchWindowSeconds),
      startingPosition: lambda.StartingPosition[kafka.startingPosition],
      // An S3 destination receives the whole batch; SQS and SNS ones only its offsets, useless once the
      // topic's retention has passed.
      onFailure: new S3FailureDestination(props.failureBucket),
      // No reportBatchItemFailures in either mode: land-kafka returns no per-record failures, it throws
      // when a batch could not be landed durably, so the whole batch is retried. A retried identical batch
      // writes the same object names again (they hash the envelope ids of the batch's events) instead of
      // adding copies; other duplicates are removed by the warehouse's dedupe on detail.eventId.
      ...(kafka.provisionedPollers
        ? {
            provisionedPollerConfig: {
              minimumPollers: kafka.provisionedPollers.minimum,
              maximumPollers: kafka.provisionedPollers.maximum,
            },
            // Retry limit and bisection need provisioned mode. Bisection narrows a failing batch down
            // to the records that fail, so one bad record does not hold back the rest of its partition;
            // a half lands under other object names than the whole batch did, so events the whole batch
            // had already written may land twice (stg_events dedupes on detail.eventId).
            retryAttempts: kafka.retryAttempts,
            bisectBatchOnError: true,
          }
        : {}),
      // Without provisionedPollers the mapping runs in on-demand mode: Lambda retries a failing batch
      // until it succeeds or its records expire from the topic (retention), and the partition waits.
    };

    if (kafka.mode === 'msk-serverless') {
      const cluster = props.cluster;
      if (!cluster)
        throw new ConstructPropsError('KafkaLandingFunction: kafka.mode "msk-serverless" needs the cluster');
      this.landing.function.addEventSourceMapping('KafkaEventSource', {
        eventSourceArn: cluster.clusterArn,
        kafkaTopic: kafka.topic,
        kafkaConsumerGroupId: kafka.consumerGroupId,
        ...common,
      });
      suppressions.push(...this.grantMskConsume(role, cluster, kafka.topic, kafka.consumerGroupId));
    } else {
      this.landing.function.addEventSource(
        new lambdaEventSources.SelfManagedKafkaEventSource({
          bootstrapServers: [...kafka.bootstrapServers],
          topic: kafka.topic,
          consumerGroupId: kafka.consumerGroupId,
          // Grants GetSecretValue and DescribeSecret on this secret only. A secret encrypted with a
          // customer managed KMS key also needs kms:Decrypt on that key, which is not granted here.
          secret: secretsmanager.Secret.fromSecretCompleteArn(this, 'KafkaSecret', kafka.secretArn),
          authenticationMethod: lambdaEventSources.AuthenticationMethod[kafka.authenticationMethod],
          ...common,
        }),
      );
    }
    NagSuppressions.addResourceSuppressions(role, suppressions, true);
  }

  /** The consumer group's lag behind the topic, largest over 5 minutes (Lambda's `OffsetLag`). */
  metricOffsetLag(): cloudwatch.Metric {
    return this.landing.function.metric('OffsetLag', { statistic: 'Maximum', period: Duration.minutes(5) });
  }

  /**
   * What the event source mapping needs with IAM access control, which CDK does not add: the cluster's
   * brokers and description, connecting, reading the one topic, and the one consumer group. Topic and
   * group ARNs take `*` for the cluster's UUID, which is only known after the cluster exists.
   */
  private grantMskConsume(
    role: iam.IRole,
    cluster: { readonly clusterArn: string; readonly clusterName: string },
    topic: string,
    group: string,
  ): NagPackSuppression[] {
    const stack = Stack.of(this);
    const arnOf = (resource: 'topic' | 'group', name: string): string =>
      stack.formatArn({
        service: 'kafka',
        resource,
        resourceName: `${cluster.clusterName}/*/${name}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    const statements: [string[], string[]][] = [
      [
        [
          'kafka:DescribeClusterV2',
          'kafka:GetBootstrapBrokers',
          'kafka-cluster:Connect',
          // Lambda's MSK documentation lists it among the IAM-auth actions of the mapping.
          'kafka-cluster:DescribeClusterDynamicConfiguration',
        ],
        [cluster.clusterArn],
      ],
      [['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], [arnOf('topic', topic)]],
      [['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], [arnOf('group', group)]],
      [[...KAFKA_ESM_EC2_ACTIONS], ['*']],
    ];
    for (const [actions, resources] of statements)
      role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));

    // cdk-nag renders the partition token as <AWS::Partition>.
    const finding = (resource: 'topic' | 'group', name: string): string =>
      `Resource::arn:<AWS::Partition>:kafka:${stack.region}:${stack.account}:${resource}/${cluster.clusterName}/*/${name}`;
    return [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'MSK topic and group ARNs contain the cluster UUID, known only once the cluster exists: "*" stands for that UUID; the cluster name, topic and group are exact.',
        appliesTo: [finding('topic', topic), finding('group', group)],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'The EC2 Describe* actions support no resource-level permissions, and Create/DeleteNetworkInterface act on interfaces Lambda makes at run time in the cluster subnets: Lambda requires these on the execution role for the Kafka mapping.',
        appliesTo: ['Resource::*'],
      },
    ];
  }
}

/**
 * An S3 on-failure destination granting only what Lambda documents for it (s3:PutObject on the bucket's
 * objects, s3:ListBucket), unlike CDK's `S3OnFailureDestination`, which grants read, write and delete.
 * @see https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html
 */
export class S3FailureDestination implements lambda.IEventSourceDlq {
  constructor(private readonly bucket: s3.IBucket) {}

  bind(_target: lambda.IEventSourceMapping, handler: lambda.IFunction): lambda.DlqDestinationConfig {
    grantBucketAccess(this.bucket, handler, { put: [''] });
    // Unconditioned: which prefix Lambda lists, if any, is not documented.
    handler.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    return { destination: this.bucket.bucketArn };
  }
}
