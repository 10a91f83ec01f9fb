import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { landingSettings } from '../../lambdas/land/settings.js';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../core/landing/object-keys.js';
import type { EltConfig, KafkaConfig, OltpConfig } from './config.js';
import { grantBucketAccess } from './constructs/bucket-access.js';
import { EltFunction } from './constructs/elt-function.js';
import { EltOrchestration } from './constructs/elt-orchestration.js';
import { IngestApi } from './constructs/ingest-api.js';
import { KafkaLandingFunction } from './constructs/kafka-landing-function.js';
import { Monitoring } from './constructs/monitoring.js';
import { OltpRelay } from './constructs/oltp-relay.js';
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
      environment: landingSettings.toEnvironment({
        bucket: bucket.bucketName,
        latenessHours: config.elt.latenessHours,
      }),
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
