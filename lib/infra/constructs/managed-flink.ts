import { existsSync } from 'node:fs';
import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as kda from 'aws-cdk-lib/aws-kinesisanalyticsv2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as cr from 'aws-cdk-lib/custom-resources';
import { NagSuppressions, type NagPackSuppression } from 'cdk-nag';
import { Construct } from 'constructs';
import { ConstructPropsError } from '../construct-errors.js';

/**
 * The Managed Service for Apache Flink runtime: the newest one CloudFormation takes
 * (`AWS::KinesisAnalyticsV2::Application` RuntimeEnvironment lists FLINK-2_3 in cfn-lint 1.58.0's schema;
 * https://docs.aws.amazon.com/managed-flink/latest/java/flink-2-3.html, read 2026-12-03), and the Flink release
 * the job runs on locally (scripts/services/flink/pom.xml, 2.3.0), so one SQL is tested where it runs.
 */
export const MSF_RUNTIME = 'FLINK-2_3';

/** The CloudWatch namespace of the metrics MSF publishes for its applications. */
export const MSF_METRICS_NAMESPACE = 'AWS/KinesisAnalytics';

/** The runtime property group the job (scripts/services/flink/job) reads its placeholders from. */
export const STREAM_PROPERTY_GROUP = 'elt.stream';

/** How the job's shaded JAR is built (the command named when it is missing). */
export const FLINK_JOB_BUILD_COMMAND =
  'mvn -q -B -f scripts/services/flink/job/pom.xml package (add -Pkinesis for the EventBridge variant)';

/** The shaded JAR the Maven build writes, relative to the repository (git-ignored). */
export const FLINK_JOB_JAR = '.services/flink/job-target/elt-flink-job.jar';

/** The JAR of the job is not there: synthesis stops and names the command that builds it. */
export class FlinkJobJarMissingError extends ConstructPropsError {
  constructor(path: string) {
    super(
      `ManagedFlinkApplication: the job's JAR ${path} does not exist; build it with \`${FLINK_JOB_BUILD_COMMAND}\` (Java 17 and Maven), then synthesize again`,
    );
  }
}

/** The MSK Serverless topic the job reads and the topic its results go to (IAM auth inside the VPC). */
export interface ManagedFlinkKafkaSource {
  readonly kind: 'msk';
  readonly cluster: { readonly clusterArn: string; readonly clusterName: string };
  readonly vpc: ec2.IVpc;
  /** The cluster's security group, which lets Kafka traffic in on 9098 from itself only. */
  readonly securityGroup: ec2.ISecurityGroup;
  /** The topic of bus events the Kafka landing reads. */
  readonly sourceTopic: string;
  /** Where the job's results go (a topic of their own: sql/stream/sink-kafka.sql says why). */
  readonly resultsTopic: string;
  /** The job's own consumer group. */
  readonly groupId: string;
  /** Prefix of the exactly-once sink's transactional ids. */
  readonly transactionalIdPrefix: string;
}

/** A Kinesis data stream of bus events in and one of results out (the EventBridge variant). */
export interface ManagedFlinkKinesisSource {
  readonly kind: 'kinesis';
  readonly stream: kinesis.IStream;
  readonly resultsStream: kinesis.IStream;
}

/** Props of {@link ManagedFlinkApplication}. */
export interface ManagedFlinkApplicationProps {
  /** Application name (1–128 of a-z A-Z 0-9 _ . -); the alarms' metrics are found by it. */
  readonly applicationName: string;
  /** The shaded JAR of scripts/services/flink/job; synthesis fails naming the build command when it is missing. */
  readonly jarFile: string;
  readonly source: ManagedFlinkKafkaSource | ManagedFlinkKinesisSource;
  /** Parallel subtasks (MSF `Parallelism`, 1–64 here). */
  readonly parallelism: number;
  /** Subtasks per KPU (1–8). */
  readonly parallelismPerKpu: number;
  /** How far the watermark trails the newest event time. */
  readonly allowedLateness: Duration;
  /** Time between checkpoints (at least 1 s). */
  readonly checkpointInterval: Duration;
  /**
   * A partition or shard without records for this long stops holding back the watermark.
   * @default 30 seconds
   */
  readonly idleTimeout?: Duration;
  readonly logRetention: logs.RetentionDays;
}

/**
 * The live-windows Flink SQL job (sql/stream/) as a Managed Service for Apache Flink application: the shaded JAR
 * of scripts/services/flink/job as an S3 asset, the SQL's placeholders as runtime properties, exactly-once
 * checkpoints, fixed parallelism (autoscaling off, so the bill is what `elt cost --stream` says), task-level
 * metrics (backpressure is published per task only), INFO logs to a log group of its own.
 *
 * Kafka variant: in the warehouse VPC's isolated subnets with the MSK cluster's security group, reading the topic
 * with IAM auth; the bootstrap brokers are looked up at deploy time (MSK Serverless has no CloudFormation
 * attribute for them). Kinesis variant: outside any VPC, reading one stream and writing another.
 *
 * The role holds exactly: the JAR object, the log stream, and the topic/group/transactional ids or the two
 * streams. No `cloudwatch:PutMetricData`: MSF publishes the application's metrics itself, and the job adds none.
 * CloudFormation creates the application READY, not RUNNING: `aws kinesisanalyticsv2 start-application` starts it
 * (the StreamApplicationName output).
 */
export class ManagedFlinkApplication extends Construct {
  readonly application: kda.CfnApplication;
  readonly applicationName: string;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly jar: s3assets.Asset;
  /** The security group of the application's network interfaces (Kafka variant only). */
  readonly securityGroup?: ec2.ISecurityGroup;
  private readonly kind: 'msk' | 'kinesis';

  constructor(scope: Construct, id: string, props: ManagedFlinkApplicationProps) {
    super(scope, id);
    if (!/^[a-zA-Z0-9_.-]{1,128}$/.test(props.applicationName))
      throw new ConstructPropsError(
        `ManagedFlinkApplication: applicationName must be 1–128 of a-z A-Z 0-9 _ . -, got "${props.applicationName}"`,
      );
    if (!Number.isInteger(props.parallelism) || props.parallelism < 1 || props.parallelism > 64)
      throw new ConstructPropsError(
        `ManagedFlinkApplication: parallelism must be an integer from 1 to 64, got ${props.parallelism}`,
      );
    if (
      !Number.isInteger(props.parallelismPerKpu) ||
      props.parallelismPerKpu < 1 ||
      props.parallelismPerKpu > 8
    )
      throw new ConstructPropsError(
        `ManagedFlinkApplication: parallelismPerKpu must be an integer from 1 to 8, got ${props.parallelismPerKpu}`,
      );
    if (props.checkpointInterval.toMilliseconds() < 1000)
      throw new ConstructPropsError(
        `ManagedFlinkApplication: checkpointInterval must be at least 1 second, got ${props.checkpointInterval.toHumanString()}`,
      );
    if (!existsSync(props.jarFile)) throw new FlinkJobJarMissingError(props.jarFile);
    const stack = Stack.of(this);
    this.applicationName = props.applicationName;
    this.kind = props.source.kind;

    this.jar = new s3assets.Asset(this, 'Jar', { path: props.jarFile });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('kinesisanalytics.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'kinesisanalytics',
              resource: 'application',
              resourceName: props.applicationName,
              arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
            }),
          },
        },
      }),
      description: `Runs the live-windows Flink SQL job (${props.applicationName})`,
    });
    // The one object of the JAR, not the assets bucket.
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.jar.bucket.arnForObjects(this.jar.s3ObjectKey)],
      }),
    );

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const logStream = new logs.LogStream(this, 'LogStream', { logGroup: this.logGroup });
    const logStreamArn = stack.formatArn({
      service: 'logs',
      resource: 'log-group',
      resourceName: `${this.logGroup.logGroupName}:log-stream:${logStream.logStreamName}`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // MSF checks the log group exists and writes the one stream (Managed Service for Apache Flink developer
    // guide, "Set up application logging"): DescribeLogGroups takes no narrower resource than the account's
    // log groups, DescribeLogStreams the group, PutLogEvents the stream.
    const statements: [string[], string[]][] = [
      [
        ['logs:DescribeLogGroups'],
        [
          stack.formatArn({
            service: 'logs',
            resource: 'log-group',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ],
      ],
      [['logs:DescribeLogStreams'], [this.logGroup.logGroupArn]],
      [['logs:PutLogEvents'], [logStreamArn]],
    ];
    for (const [actions, resources] of statements)
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    const suppressions: NagPackSuppression[] = [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          "logs:DescribeLogGroups has no resource narrower than the account's log groups; MSF calls it to check the application's log group exists before it writes.",
        appliesTo: [`Resource::arn:<AWS::Partition>:logs:${stack.region}:${stack.account}:log-group:*`],
      },
    ];

    const source = props.source;
    const properties: Record<string, string> = {
      allowed_lateness_seconds: String(props.allowedLateness.toSeconds()),
      idle_timeout_seconds: String((props.idleTimeout ?? Duration.seconds(30)).toSeconds()),
      region: stack.region,
    };
    let vpcConfigurations: kda.CfnApplication.VpcConfigurationProperty[] | undefined;
    if (source.kind === 'msk') {
      const brokers = this.bootstrapBrokers(source.cluster.clusterArn);
      Object.assign(properties, {
        connector: 'kafka',
        kafka_auth: 'msk-iam',
        source_topic: source.sourceTopic,
        results_topic: source.resultsTopic,
        group_id: source.groupId,
        transactional_id_prefix: source.transactionalIdPrefix,
        bootstrap_servers: brokers,
      });
      suppressions.push(...this.grantMsk(source));
      const subnets = source.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_ISOLATED });
      vpcConfigurations = [
        { subnetIds: subnets.subnetIds, securityGroupIds: [source.securityGroup.securityGroupId] },
      ];
      this.securityGroup = source.securityGroup;
    } else {
      Object.assign(properties, {
        connector: 'kinesis',
        source_stream_arn: source.stream.streamArn,
        results_stream_arn: source.resultsStream.streamArn,
      });
      source.stream.grantRead(this.role);
      source.resultsStream.grantWrite(this.role);
    }

    this.application = new kda.CfnApplication(this, 'Application', {
      applicationName: props.applicationName,
      applicationDescription:
        'Live windows: logins per minute, logins in the last hour, active users of the day',
      runtimeEnvironment: MSF_RUNTIME,
      applicationMode: 'STREAMING',
      serviceExecutionRole: this.role.roleArn,
      applicationConfiguration: {
        applicationCodeConfiguration: {
          // A JAR is deployed as ZIPFILE content (the API has no other type for it).
          codeContentType: 'ZIPFILE',
          codeContent: {
            s3ContentLocation: { bucketArn: this.jar.bucket.bucketArn, fileKey: this.jar.s3ObjectKey },
          },
        },
        environmentProperties: {
          propertyGroups: [{ propertyGroupId: STREAM_PROPERTY_GROUP, propertyMap: properties }],
        },
        flinkApplicationConfiguration: {
          checkpointConfiguration: {
            configurationType: 'CUSTOM',
            checkpointingEnabled: true,
            checkpointInterval: props.checkpointInterval.toMilliseconds(),
            minPauseBetweenCheckpoints: Math.min(5000, props.checkpointInterval.toMilliseconds()),
          },
          monitoringConfiguration: {
            configurationType: 'CUSTOM',
            logLevel: 'INFO',
            // backPressuredTimeMsPerSecond and busyTimeMsPerSecond are published at task level and below only.
            metricsLevel: 'TASK',
          },
          parallelismConfiguration: {
            configurationType: 'CUSTOM',
            parallelism: props.parallelism,
            parallelismPerKpu: props.parallelismPerKpu,
            autoScalingEnabled: false,
          },
        },
        // Snapshots on stop and update keep the windows' state across deployments.
        applicationSnapshotConfiguration: { snapshotsEnabled: true },
        ...(vpcConfigurations ? { vpcConfigurations } : {}),
      },
    });
    this.application.node.addDependency(this.role);
    const loggingOption = new kda.CfnApplicationCloudWatchLoggingOption(this, 'Logging', {
      applicationName: props.applicationName,
      cloudWatchLoggingOption: { logStreamArn },
    });
    loggingOption.node.addDependency(this.application);

    if (vpcConfigurations) {
      // MSF makes the application's network interfaces in the subnets with the role (developer guide, "VPC
      // application permissions"); the Describe* actions take no resource ARNs.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:DescribeVpcs',
            'ec2:DescribeSubnets',
            'ec2:DescribeSecurityGroups',
            'ec2:DescribeDhcpOptions',
            'ec2:DescribeNetworkInterfaces',
            'ec2:CreateNetworkInterface',
            'ec2:CreateNetworkInterfacePermission',
            'ec2:DeleteNetworkInterface',
          ],
          resources: ['*'],
        }),
      );
      suppressions.push({
        id: 'AwsSolutions-IAM5',
        reason:
          'MSF creates and deletes the network interfaces of an application in a VPC at run time with its role; the EC2 Describe* actions support no resource-level permissions.',
        appliesTo: ['Resource::*'],
      });
    }
    NagSuppressions.addResourceSuppressions(this.role, suppressions, true);
    new CfnOutput(this, 'Name', {
      value: props.applicationName,
      description: `Start the stream job: aws kinesisanalyticsv2 start-application --application-name ${props.applicationName}`,
    });
  }

  /**
   * The largest back-pressured time of any task, in ms per second, over 5 minutes: a Metrics Insights query,
   * since the metric is published per task and operator (dimensions named after the job graph, not known here).
   */
  metricBackpressure(): cloudwatch.MathExpression {
    return new cloudwatch.MathExpression({
      expression: `SELECT MAX(backPressuredTimeMsPerSecond) FROM "${MSF_METRICS_NAMESPACE}" WHERE Application = '${this.applicationName}'`,
      label: 'backPressuredTimeMsPerSecond (largest task)',
      period: Duration.minutes(5),
      usingMetrics: {},
    });
  }

  /**
   * How far the job's source is behind, over 5 minutes: `records_lag_max` (records, largest partition) with
   * Kafka, `millisBehindLatest` (ms) with Kinesis; both published at application level.
   */
  metricSourceLag(): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: MSF_METRICS_NAMESPACE,
      metricName: this.kind === 'msk' ? 'records_lag_max' : 'millisBehindLatest',
      dimensionsMap: { Application: this.applicationName },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
  }

  /** Checkpoints that failed, over 5 minutes (application level). */
  metricFailedCheckpoints(): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: MSF_METRICS_NAMESPACE,
      metricName: 'numberOfFailedCheckpoints',
      dimensionsMap: { Application: this.applicationName },
      statistic: 'Maximum',
      period: Duration.minutes(5),
    });
  }

  /**
   * MSK Serverless exposes no bootstrap brokers to CloudFormation: read them once at deploy time with
   * kafka:GetBootstrapBrokers on this cluster only (the IAM listener's string).
   */
  private bootstrapBrokers(clusterArn: string): string {
    const call: cr.AwsSdkCall = {
      service: 'Kafka',
      action: 'getBootstrapBrokers',
      parameters: { ClusterArn: clusterArn },
      physicalResourceId: cr.PhysicalResourceId.of(`${this.applicationName}-bootstrap-brokers`),
      outputPaths: ['BootstrapBrokerStringSaslIam'],
    };
    const lookup = new cr.AwsCustomResource(this, 'BootstrapBrokers', {
      onCreate: call,
      onUpdate: call,
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ['kafka:GetBootstrapBrokers'], resources: [clusterArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    // The provider function is a stack-wide singleton of aws-cdk-lib (fixed id), with Lambda's basic role.
    const stack = Stack.of(this);
    NagSuppressions.addResourceSuppressionsByPath(
      stack,
      `/${stack.node.path}/AWS679f53fac002430cb0da5b7982bd2287/ServiceRole/Resource`,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "aws-cdk-lib's AwsCustomResource provider function writes its own logs with AWSLambdaBasicExecutionRole; it runs only at deploy time, and its one call (kafka:GetBootstrapBrokers) is granted on this cluster alone.",
          appliesTo: [
            'Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          ],
        },
      ],
    );
    return lookup.getResponseField('BootstrapBrokerStringSaslIam');
  }

  /**
   * IAM access control on the cluster: connect, read the source topic, write the results topic (idempotently,
   * in transactions of the sink's prefix), and the job's consumer group. Topic, group and transactional-id ARNs
   * take `*` for the cluster's UUID, known only once the cluster exists.
   */
  private grantMsk(source: ManagedFlinkKafkaSource): NagPackSuppression[] {
    const stack = Stack.of(this);
    const name = source.cluster.clusterName;
    const arnOf = (resource: 'topic' | 'group' | 'transactional-id', rest: string): string =>
      stack.formatArn({
        service: 'kafka',
        resource,
        resourceName: `${name}/*/${rest}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    const statements: [string[], string[]][] = [
      [
        ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
        [source.cluster.clusterArn],
      ],
      [['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], [arnOf('topic', source.sourceTopic)]],
      [['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'], [arnOf('topic', source.resultsTopic)]],
      [['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'], [arnOf('group', source.groupId)]],
      [
        ['kafka-cluster:DescribeTransactionalId', 'kafka-cluster:AlterTransactionalId'],
        [arnOf('transactional-id', `${source.transactionalIdPrefix}*`)],
      ],
    ];
    for (const [actions, resources] of statements)
      this.role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources }));
    const finding = (resource: string, rest: string): string =>
      `Resource::arn:<AWS::Partition>:kafka:${stack.region}:${stack.account}:${resource}/${name}/*/${rest}`;
    return [
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'MSK topic, group and transactional-id ARNs contain the cluster UUID, known only once the cluster exists: "*" stands for that UUID; the cluster name, topics and group are exact.',
        appliesTo: [
          finding('topic', source.sourceTopic),
          finding('topic', source.resultsTopic),
          finding('group', source.groupId),
        ],
      },
      {
        id: 'AwsSolutions-IAM5',
        reason:
          'The exactly-once Kafka sink names a transactional id per subtask and checkpoint under its prefix (sql/stream/sink-kafka.sql): the prefix is exact, the suffix is made at run time.',
        appliesTo: [finding('transactional-id', `${source.transactionalIdPrefix}*`)],
      },
    ];
  }
}
