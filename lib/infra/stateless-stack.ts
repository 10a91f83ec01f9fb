import { join } from 'node:path';
import { ArnFormat, CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { landingSettings } from '../../lambdas/land/settings.js';
import { landingNodeOptions } from '../core/landing/landing-heap.js';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../core/landing/object-keys.js';
import type { EltConfig, KafkaConfig, OltpConfig } from './config.js';
import { grantBucketAccess } from './constructs/bucket-access.js';
import { EltFunction } from './constructs/elt-function.js';
import { EltOrchestration } from './constructs/elt-orchestration.js';
import { IngestApi } from './constructs/ingest-api.js';
import { KafkaLandingFunction } from './constructs/kafka-landing-function.js';
import { Monitoring } from './constructs/monitoring.js';
import { OltpRelay } from './constructs/oltp-relay.js';
import { FLINK_JOB_JAR, ManagedFlinkApplication } from './constructs/managed-flink.js';
import { ManagedFlinkKinesisFeed } from './constructs/managed-flink-kinesis-feed.js';
import { packageRoot } from '../package-paths.js';
import type { RedshiftServerlessWarehouse } from './constructs/redshift-serverless-warehouse.js';
import { isRedshiftServerless } from './constructs/data-api-warehouse.js';
import type { EltStatefulResources } from './stateful-stack.js';
import { objectsUnderPrefixes } from './nag-findings.js';
import { ConstructPropsError } from './construct-errors.js';

/** Props of {@link EltStatelessStack}. */
export interface EltStatelessStackProps extends StackProps {
  readonly config: EltConfig;
  readonly stateful: EltStatefulResources;
}

/** The Powertools metrics namespace of every function. */
export const METRICS_NAMESPACE = 'ServerlessElt';

/**
 * Redshift Serverless on-demand compute, USD per RPU-hour, for alarm texts only: the figure of
 * data/aws-pricing.json (`redshift-serverless-rpu-hour`, us-east-1, from https://aws.amazon.com/redshift/pricing/
 * as checked there); test/infra keeps the two equal.
 */
export const RPU_HOUR_USD_ESTIMATE = 0.375;

/**
 * What runs: the landing function behind the queue, the scheduled ELT workflow, alarms and a dashboard.
 * Holds no data; it can be destroyed and redeployed at any time.
 */
export class EltStatelessStack extends Stack {
  readonly landing: EltFunction;
  /** The ELT workflow and the alarms; absent on LocalStack (no Redshift, no event source mapping there). */
  readonly orchestration?: EltOrchestration;
  readonly monitoring?: Monitoring;
  /** The Kafka landing path; only when `kafka` is configured (never on LocalStack). */
  readonly kafkaLanding?: KafkaLandingFunction;
  /** The HTTP ingest API; only when `ingestApi.enabled` (never on LocalStack). */
  readonly ingestApi?: IngestApi;
  /** The outbox relay of the user's database; only when `oltp` is configured (target `aws` only). */
  readonly oltpRelay?: OltpRelay;
  /** The live-windows Flink job on Managed Service for Apache Flink; only when `stream.enabled`. */
  readonly streamJob?: ManagedFlinkApplication;
  /** The Kinesis streams, rule and pipe of the stream job without Kafka (the EventBridge variant). */
  readonly streamFeed?: ManagedFlinkKinesisFeed;

  constructor(scope: Construct, id: string, props: EltStatelessStackProps) {
    super(scope, id, props);
    const { config, stateful } = props;
    const prefix = `elt-${config.envName}`;
    const logRetention = config.logs.retentionDays as logs.RetentionDays;
    const bucket = stateful.rawBucket.bucket;

    this.landing = new EltFunction(this, 'Landing', {
      handler: 'land',
      description: 'Lands SQS batches of bus events as gzip NDJSON in the raw bucket',
      serviceName: 'elt-landing',
      metricsNamespace: METRICS_NAMESPACE,
      logRetention,
      memoryMb: config.landing.memoryMb,
      timeout: Duration.seconds(config.landing.timeoutSeconds),
      environment: {
        ...landingSettings.toEnvironment({
          bucket: bucket.bucketName,
          latenessHours: config.elt.latenessHours,
        }),
        NODE_OPTIONS: landingNodeOptions(config.landing.memoryMb),
      },
    });
    // Landing writes under raw/ and quarantine/ and nowhere else; it never reads or deletes.
    grantBucketAccess(bucket, this.landing.role, { put: [RAW_PREFIX, QUARANTINE_PREFIX] });
    NagSuppressions.addResourceSuppressions(
      this.landing.role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Writes objects under raw/ and quarantine/ only; object names (partition and batch hash) are made at run time.',
          appliesTo: [objectsUnderPrefixes(RAW_PREFIX, QUARANTINE_PREFIX)],
        },
      ],
      true,
    );
    new CfnOutput(this, 'LandingFunctionName', { value: this.landing.function.functionName });
    if (config.ingestApi.enabled) this.ingestApi = this.createIngestApi(config, stateful);
    if (!stateful.warehouse) return;

    // On LocalStack, `elt land` plays this event source mapping (LocalStack cannot run Lambdas without
    // Docker), so it is left out there (with the warehouse) and the two never compete for messages.
    this.landing.function.addEventSource(
      new lambdaEventSources.SqsEventSource(stateful.landingQueue.queue, {
        batchSize: config.landing.batchSize,
        maxBatchingWindow: Duration.seconds(config.landing.batchWindowSeconds),
        reportBatchItemFailures: true,
        maxConcurrency: config.landing.maxConcurrency,
      }),
    );

    const orchestration = new EltOrchestration(this, 'Elt', {
      namePrefix: prefix,
      bus: stateful.bus.bus,
      rawBucket: bucket,
      warehouse: stateful.warehouse,
      dataApi: {
        ...(config.warehouse.dataApiEndpoint ? { endpoint: config.warehouse.dataApiEndpoint } : {}),
        dialect: config.warehouse.sqlDialect,
      },
      schedule: config.elt.schedule,
      timezone: config.elt.timezone,
      logRetention,
      metricsNamespace: METRICS_NAMESPACE,
      run: {
        readers: config.warehouse.readers,
        latenessHours: config.elt.latenessHours,
        maxObjectsPerRun: config.elt.maxObjectsPerRun,
      },
    });
    this.orchestration = orchestration;

    const monitoring = new Monitoring(this, 'Monitoring', {
      dashboardName: `${prefix}-pipeline`,
      landingFunction: this.landing.function,
      landingQueue: stateful.landingQueue.queue,
      landingDeadLetterQueue: stateful.landingQueue.deadLetterQueue,
      busTargetDeadLetterQueue: stateful.bus.targetDeadLetterQueue,
      eltStateMachine: orchestration.stateMachine,
      metricsNamespace: METRICS_NAMESPACE,
      landingService: 'elt-landing',
      oldestMessageAge: Duration.seconds(config.alarms.oldestMessageAgeSeconds),
      ...(config.alarms.email ? { alarmEmail: config.alarms.email } : {}),
    });
    this.monitoring = monitoring;
    if (isRedshiftServerless(stateful.warehouse))
      this.addWarehouseCostAlarm(config, stateful.warehouse, monitoring);
    if (this.ingestApi) {
      monitoring.addAlarm(
        'IngestServerErrors',
        'The ingest API answered 5xx: the bus or the idempotency table refused or failed. Clients retry with the same Idempotency-Key; nothing was published for those requests.',
        this.ingestApi.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
        0,
      );
    }

    new CfnOutput(this, 'StateMachineArn', {
      value: orchestration.stateMachine.stateMachineArn,
      description: 'Start an ELT run: aws stepfunctions start-execution --state-machine-arn <arn>',
    });
    new CfnOutput(this, 'WarehouseRunnerUser', {
      value: `IAMR:${orchestration.runnerRole.roleName}`,
      description: 'The Redshift database user of the ELT steps, owner of the pipeline tables',
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: monitoring.topic.topicArn });
    new CfnOutput(this, 'DashboardName', { value: `${prefix}-pipeline` });

    if (config.kafka) this.kafkaLanding = this.createKafkaLanding(config, config.kafka, stateful, monitoring);
    if (config.oltp) this.oltpRelay = this.createOltpRelay(config, config.oltp, stateful, monitoring);
    if (config.stream.enabled) {
      const { job, feed } = this.createStreamJob(config, stateful, monitoring);
      this.streamJob = job;
      if (feed) this.streamFeed = feed;
    }
  }

  /**
   * The live-windows Flink job on Managed Service for Apache Flink: with MSK Serverless it reads the Kafka
   * landing's topic and writes its results to a topic of their own, which the Kafka landing function also
   * lands; without Kafka it reads the bus through a Kinesis stream and its results return to the bus through
   * a pipe ({@link ManagedFlinkKinesisFeed}). Alarms on backpressure and on how far behind its source it is.
   */
  private createStreamJob(
    config: EltConfig,
    stateful: EltStatefulResources,
    monitoring: Monitoring,
  ): { job: ManagedFlinkApplication; feed?: ManagedFlinkKinesisFeed } {
    const { stream } = config;
    const prefix = `elt-${config.envName}`;
    const common = {
      applicationName: `${prefix}-stream`,
      // `-c streamJobJar=<path>` deploys a JAR built elsewhere (and lets tests use a placeholder).
      jarFile: String(this.node.tryGetContext('streamJobJar') ?? join(packageRoot(), FLINK_JOB_JAR)),
      parallelism: stream.parallelism,
      parallelismPerKpu: stream.parallelismPerKpu,
      allowedLateness: Duration.seconds(stream.allowedLatenessSeconds),
      checkpointInterval: Duration.seconds(stream.checkpointIntervalSeconds),
      logRetention: config.logs.retentionDays as logs.RetentionDays,
    };
    let job: ManagedFlinkApplication;
    let lagAlarm: string;
    let lagThreshold: number;
    let feed: ManagedFlinkKinesisFeed | undefined;
    const warehouse = stateful.warehouse;
    if (config.kafka) {
      const cluster = stateful.kafkaCluster;
      if (
        config.kafka.mode !== 'msk-serverless' ||
        !cluster ||
        !warehouse ||
        !isRedshiftServerless(warehouse)
      )
        throw new ConstructPropsError(
          "EltStatelessStack: the stream job with kafka needs the stateful stack's MSK Serverless cluster and VPC",
        );
      const resultsTopic = `${config.kafka.topic}-stream-results`;
      job = new ManagedFlinkApplication(this, 'Stream', {
        ...common,
        source: {
          kind: 'msk',
          cluster,
          vpc: warehouse.vpc,
          securityGroup: cluster.securityGroup,
          sourceTopic: config.kafka.topic,
          resultsTopic,
          groupId: `${prefix}-stream`,
          transactionalIdPrefix: `${prefix}-stream`,
        },
      });
      if (this.kafkaLanding) this.landStreamResults(config.kafka, cluster, resultsTopic);
      lagAlarm = `The stream job's Kafka consumer is more than ${stream.lagAlarmRecords} records behind topic ${config.kafka.topic} (stream.lagAlarmRecords): the job is failing, restarting or too slow.`;
      lagThreshold = stream.lagAlarmRecords;
      new CfnOutput(this, 'StreamResultsTopic', {
        value: resultsTopic,
        description:
          'Create this topic before starting the stream job: its results go there and are landed from there',
      });
    } else {
      feed = new ManagedFlinkKinesisFeed(this, 'StreamFeed', {
        bus: stateful.bus.bus,
        shardCount: stream.kinesisShards,
        retryAttempts: config.ruleTarget.retryAttempts,
        maxEventAge: Duration.seconds(config.ruleTarget.maxEventAgeSeconds),
      });
      job = new ManagedFlinkApplication(this, 'Stream', {
        ...common,
        source: { kind: 'kinesis', stream: feed.stream, resultsStream: feed.resultsStream },
      });
      monitoring.addAlarm(
        'StreamFeedDlqNotEmpty',
        "The rule could not put bus events on the stream job's Kinesis stream after its retries; they are in its dead-letter queue, and the live windows miss them.",
        feed.metricDeadLetters(),
        0,
      );
      lagAlarm = `The stream job reads its Kinesis stream more than ${stream.lagAlarmSeconds} s behind the newest record (stream.lagAlarmSeconds): the job is failing, restarting or too slow.`;
      lagThreshold = stream.lagAlarmSeconds * 1000;
    }
    monitoring.addAlarm(
      'StreamBackpressureHigh',
      `A task of the stream job was back-pressured more than ${stream.backpressureAlarmMsPerSecond} ms a second (stream.backpressureAlarmMsPerSecond): an operator downstream cannot keep up; raise stream.parallelism.`,
      job.metricBackpressure(),
      stream.backpressureAlarmMsPerSecond,
    );
    monitoring.addAlarm('StreamLagHigh', lagAlarm, job.metricSourceLag(), lagThreshold);
    monitoring.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Stream job (Managed Service for Apache Flink)',
        left: [job.metricBackpressure()],
        right: [job.metricSourceLag()],
      }),
    );
    return feed ? { job, feed } : { job };
  }

  /**
   * The stream job's results topic, landed by the Kafka landing function through a second event source mapping
   * with a consumer group of its own; its role gets that topic and group only.
   */
  private landStreamResults(
    kafka: KafkaConfig,
    cluster: { readonly clusterArn: string; readonly clusterName: string },
    resultsTopic: string,
  ): void {
    const landing = this.kafkaLanding;
    if (!landing) return;
    const group = `${kafka.consumerGroupId}-stream-results`;
    landing.landing.function.addEventSourceMapping('StreamResultsSource', {
      eventSourceArn: cluster.clusterArn,
      kafkaTopic: resultsTopic,
      kafkaConsumerGroupId: group,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: kafka.batchSize,
      maxBatchingWindow: Duration.seconds(kafka.batchWindowSeconds),
    });
    const arnOf = (resource: 'topic' | 'group', name: string): string =>
      this.formatArn({
        service: 'kafka',
        resource,
        resourceName: `${cluster.clusterName}/*/${name}`,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      });
    const role = landing.landing.role;
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
        resources: [arnOf('topic', resultsTopic)],
      }),
    );
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:DescribeGroup', 'kafka-cluster:AlterGroup'],
        resources: [arnOf('group', group)],
      }),
    );
    const finding = (resource: string, name: string): string =>
      `Resource::arn:<AWS::Partition>:kafka:${this.region}:${this.account}:${resource}/${cluster.clusterName}/*/${name}`;
    NagSuppressions.addResourceSuppressions(
      role,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The stream job\'s results topic and its landing group: "*" stands for the cluster UUID, known only once the cluster exists.',
          appliesTo: [finding('topic', resultsTopic), finding('group', group)],
        },
      ],
      true,
    );
  }

  /** The outbox relay of the user's database in the warehouse VPC, its alarms and a dashboard row. */
  private createOltpRelay(
    config: EltConfig,
    oltp: OltpConfig,
    stateful: EltStatefulResources,
    monitoring: Monitoring,
  ): OltpRelay {
    const warehouse = stateful.warehouse;
    if (!warehouse || !isRedshiftServerless(warehouse))
      throw new ConstructPropsError(
        "EltStatelessStack: the outbox relay (oltp) needs the stateful stack's Redshift Serverless VPC",
      );
    const relay = new OltpRelay(this, 'OltpRelay', {
      oltp,
      vpc: warehouse.vpc,
      bus: stateful.bus.bus,
      rawBucket: stateful.rawBucket.bucket,
      serviceName: 'elt-oltp-relay',
      metricsNamespace: METRICS_NAMESPACE,
      logRetention: config.logs.retentionDays as logs.RetentionDays,
    });
    const age = relay.metric('oldestUnsentAgeSeconds', 'Maximum');
    const fn = relay.relay.function;
    monitoring.addAlarm(
      'OltpRelayLagHigh',
      `The oldest unsent outbox row of the marketplace database is older than ${oltp.lagAlarmSeconds} s (oltp.lagAlarmSeconds): the relay is failing or too slow.`,
      age,
      oltp.lagAlarmSeconds,
    );
    monitoring.addAlarm(
      'OltpRelayErrors',
      'Outbox relay runs failed (the database, its secret, the bus or the raw bucket): its rows stay unsent and are relayed once the cause is fixed.',
      fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
      0,
    );
    monitoring.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Outbox relay',
        left: [relay.metric('published', 'Sum'), relay.metric('quarantined', 'Sum')],
        right: [age, relay.metric('unsent', 'Maximum')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Outbox relay function',
        left: [fn.metricInvocations(), fn.metricErrors(), fn.metricThrottles()],
        right: [fn.metricDuration({ statistic: 'p99' })],
      }),
    );
    new CfnOutput(this, 'OltpRelaySecurityGroupId', {
      value: relay.securityGroup.securityGroupId,
      description: `Allow this security group on your database's port ${oltp.port} (the outbox relay)`,
    });
    return relay;
  }

  /** The HTTP ingest API in front of the bus, with the token secret of the stateful stack. */
  private createIngestApi(config: EltConfig, stateful: EltStatefulResources): IngestApi {
    const tokenSecret = stateful.ingestTokenSecret;
    if (!tokenSecret)
      throw new ConstructPropsError(
        "EltStatelessStack: ingestApi.enabled needs the stateful stack's ingest token secret",
      );
    const ingestApi = new IngestApi(this, 'IngestApi', {
      namePrefix: `elt-${config.envName}`,
      bus: stateful.bus.bus,
      tokenSecret,
      throttleRatePerSecond: config.ingestApi.throttleRatePerSecond,
      throttleBurst: config.ingestApi.throttleBurst,
      serviceName: 'elt-ingest',
      metricsNamespace: METRICS_NAMESPACE,
      logRetention: config.logs.retentionDays as logs.RetentionDays,
    });
    new CfnOutput(this, 'IngestApiUrl', {
      value: ingestApi.url,
      description:
        'The ingest API: POST <url>v1/events with Authorization: Bearer <token> and an Idempotency-Key',
    });
    return ingestApi;
  }

  /**
   * An alarm when the warehouse uses more than `warehouse.costAlarmRpuHoursPerDay` RPU-hours in a day. It
   * warns, it does not stop: CloudFormation has no resource for Redshift Serverless usage limits (aws-cdk-lib
   * has CfnNamespace, CfnWorkgroup and CfnSnapshot only), so a hard limit is a `create-usage-limit` call.
   */
  private addWarehouseCostAlarm(
    config: EltConfig,
    warehouse: RedshiftServerlessWarehouse,
    monitoring: Monitoring,
  ): void {
    const rpuHours = config.warehouse.costAlarmRpuHoursPerDay;
    const usd = (rpuHours * RPU_HOUR_USD_ESTIMATE).toFixed(2);
    // ComputeSeconds is compute usage in RPU-seconds, so the threshold is RPU-hours × 3,600. Not confirmed on
    // the AWS page that lists the AWS/Redshift-Serverless metrics (not found in the stored docs, 2026-12-02);
    // the unit is that of SYS_SERVERLESS_USAGE.compute_seconds, "The accumulated compute unit (RPU) seconds
    // consumed during this time interval" (https://docs.aws.amazon.com/redshift/latest/dg/SYS_SERVERLESS_USAGE.html,
    // read 2026-12-02). Should a datapoint ever count an interval twice, the alarm fires early, not late.
    monitoring.addAlarm(
      'WarehouseComputeHigh',
      `Redshift Serverless workgroup ${warehouse.workgroupName} used more than ${rpuHours} RPU-hours in a day (warehouse.costAlarmRpuHoursPerDay), about $${usd} of compute at $${RPU_HOUR_USD_ESTIMATE}/RPU-hour (us-east-1 on-demand; an estimate). A warning only: the usage limit in the README stops queries.`,
      warehouse.metricComputeSecondsPerDay(),
      rpuHours * 3600,
    );
  }

  /** The optional Kafka landing path into the same raw bucket, its alarms and a dashboard row. */
  private createKafkaLanding(
    config: EltConfig,
    kafka: KafkaConfig,
    stateful: EltStatefulResources,
    monitoring: Monitoring,
  ): KafkaLandingFunction {
    if (kafka.mode === 'msk-serverless' && !stateful.kafkaCluster)
      throw new ConstructPropsError(
        'EltStatelessStack: kafka.mode "msk-serverless" needs the stateful stack\'s Kafka cluster',
      );
    const kafkaFailures = stateful.kafkaFailures;
    if (!kafkaFailures)
      throw new ConstructPropsError(
        "EltStatelessStack: the Kafka landing path needs the stateful stack's failure bucket",
      );
    const kafkaLanding = new KafkaLandingFunction(this, 'KafkaLanding', {
      kafka,
      rawBucket: stateful.rawBucket.bucket,
      failureBucket: kafkaFailures.bucket,
      ...(stateful.kafkaCluster ? { cluster: stateful.kafkaCluster } : {}),
      serviceName: 'elt-landing-kafka',
      metricsNamespace: METRICS_NAMESPACE,
      logRetention: config.logs.retentionDays as logs.RetentionDays,
      memoryMb: config.landing.memoryMb,
      timeout: Duration.seconds(config.landing.timeoutSeconds),
      latenessHours: config.elt.latenessHours,
    });
    const lag = kafkaLanding.metricOffsetLag();
    const failures = kafkaFailures.metricPuts();
    monitoring.addAlarm(
      'KafkaOffsetLagHigh',
      `The Kafka landing consumer group is more than ${kafka.lagAlarmRecords} records behind topic ${kafka.topic}: landing is failing or too slow.`,
      lag,
      kafka.lagAlarmRecords,
    );
    monitoring.addAlarm(
      'KafkaFailuresNotEmpty',
      'The Kafka event source mapping gave up on a batch and wrote it, records included, to the Kafka failure bucket: fix the cause, then `elt redrive --kafka`.',
      failures,
      0,
    );
    monitoring.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: `Kafka landing (${kafka.topic})`,
        left: [lag],
        right: [failures],
      }),
      new cloudwatch.GraphWidget({
        title: 'Kafka landing function',
        left: [
          kafkaLanding.landing.function.metricInvocations(),
          kafkaLanding.landing.function.metricErrors(),
        ],
        right: [kafkaLanding.landing.function.metricDuration({ statistic: 'p99' })],
      }),
    );
    new CfnOutput(this, 'KafkaLandingFunctionName', {
      value: kafkaLanding.landing.function.functionName,
    });
    return kafkaLanding;
  }
}
