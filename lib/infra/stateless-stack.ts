import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as lambdaEventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { NagSuppressions } from 'cdk-nag';
import type { Construct } from 'constructs';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../core/landing/object-keys.js';
import type { EltConfig, KafkaConfig } from './config.js';
import { grantBucketAccess } from './constructs/bucket-access.js';
import { EltFunction } from './constructs/elt-function.js';
import { EltOrchestration } from './constructs/elt-orchestration.js';
import { IngestApi } from './constructs/ingest-api.js';
import { KafkaLanding } from './constructs/kafka-landing.js';
import { Monitoring } from './constructs/monitoring.js';
import type { EltStatefulResources } from './stateful-stack.js';
import { objectsUnderPrefixes } from './nag-findings.js';

/** Props of {@link EltStatelessStack}. */
export interface EltStatelessStackProps extends StackProps {
  readonly config: EltConfig;
  readonly stateful: EltStatefulResources;
}

/** The Powertools metrics namespace of every function. */
export const METRICS_NAMESPACE = 'ServerlessElt';

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
  readonly kafkaLanding?: KafkaLanding;
  /** The HTTP ingest API; only when `ingestApi.enabled` (never on LocalStack). */
  readonly ingestApi?: IngestApi;

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
      environment: { RAW_BUCKET: bucket.bucketName },
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
    // Docker), so it is left out there and the two never compete for messages.
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
      schedule: config.elt.schedule,
      timezone: config.elt.timezone,
      logRetention,
      metricsNamespace: METRICS_NAMESPACE,
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
  }

  /** The HTTP ingest API in front of the bus, with the token secret of the stateful stack. */
  private createIngestApi(config: EltConfig, stateful: EltStatefulResources): IngestApi {
    const tokenSecret = stateful.ingestTokenSecret;
    if (!tokenSecret)
      throw new Error("EltStatelessStack: ingestApi.enabled needs the stateful stack's ingest token secret");
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

  /** The optional Kafka landing path into the same raw bucket, its alarms and a dashboard row. */
  private createKafkaLanding(
    config: EltConfig,
    kafka: KafkaConfig,
    stateful: EltStatefulResources,
    monitoring: Monitoring,
  ): KafkaLanding {
    if (kafka.mode === 'msk-serverless' && !stateful.kafkaCluster)
      throw new Error(
        'EltStatelessStack: kafka.mode "msk-serverless" needs the stateful stack\'s Kafka cluster',
      );
    const kafkaFailures = stateful.kafkaFailures;
    if (!kafkaFailures)
      throw new Error("EltStatelessStack: the Kafka landing path needs the stateful stack's failure bucket");
    const kafkaLanding = new KafkaLanding(this, 'KafkaLanding', {
      kafka,
      rawBucket: stateful.rawBucket.bucket,
      failureBucket: kafkaFailures.bucket,
      ...(stateful.kafkaCluster ? { cluster: stateful.kafkaCluster } : {}),
      serviceName: 'elt-landing-kafka',
      metricsNamespace: METRICS_NAMESPACE,
      logRetention: config.logs.retentionDays as logs.RetentionDays,
      memoryMb: config.landing.memoryMb,
      timeout: Duration.seconds(config.landing.timeoutSeconds),
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
