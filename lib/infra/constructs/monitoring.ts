import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** The alarms of every deployment with the ELT: what each tells the person it wakes, given its threshold. */
const STANDING_ALARMS = {
  LandingDlqNotEmpty: () =>
    'Messages landing gave up on are in the landing DLQ: inspect them, fix the cause, then `elt redrive`.',
  BusTargetDlqNotEmpty: () =>
    'The bus could not deliver events to the landing queue after its retries; they are in the target DLQ.',
  LandingErrors: () => 'The landing function failed invocations (whole batches are retried).',
  LandingThrottles: () => 'The landing function was throttled: raise its concurrency or the account limit.',
  LandingBacklogOld: (seconds: number) =>
    `The oldest message waiting for landing is older than ${seconds} s: landing is behind.`,
  EltRunFailed: () => 'An ELT run failed; the run history and the EltRunFailed event say why.',
  EltRunTimedOut: () =>
    'An ELT run hit the state machine timeout: its failure step did not run, so no EltRunFailed event or run history says so.',
} as const;

/** Props of {@link Monitoring}. */
export interface MonitoringProps {
  readonly dashboardName: string;
  readonly landingFunction: lambda.IFunction;
  readonly landingQueue: sqs.IQueue;
  readonly landingDeadLetterQueue: sqs.IQueue;
  readonly busTargetDeadLetterQueue: sqs.IQueue;
  readonly eltStateMachine: sfn.IStateMachine;
  /** The landing function's Powertools metrics namespace and service. */
  readonly metricsNamespace: string;
  readonly landingService: string;
  /** Alarm when the oldest landing message is older than this. */
  readonly oldestMessageAge: Duration;
  /** @default no subscription */
  readonly alarmEmail?: string;
}

/**
 * Alarms on what needs a person — anything in a dead-letter queue, landing errors and throttles, a
 * landing backlog that grows old, a failed ELT run — sent to an SNS topic encrypted with a key of its own
 * that CloudWatch may use, and a dashboard of the flow from bus to warehouse.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  /** The customer managed key of the alarm topic. */
  readonly topicKey: kms.Key;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // A CloudWatch alarm can publish to an encrypted topic only when the topic's key lets CloudWatch use it.
    // With the AWS managed alias/aws/sns the alarm action fails, since that key's policy does not allow
    // CloudWatch kms:Decrypt and kms:GenerateDataKey and cannot be edited; a customer managed key whose policy
    // grants both is required (https://repost.aws/knowledge-center/cloudwatch-configure-alarm-sns, read
    // 2026-12-02 in its Japanese copy; paraphrased). The key is this stack's: nothing durable is encrypted with it
    // (SNS holds a message only until delivery), so it goes with the stack after the shortest wait.
    this.topicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the alarm topic; CloudWatch alarms of this account may use it to publish',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'AlarmTopic', { masterKey: this.topicKey, enforceSSL: true });
    // The topic policy must let CloudWatch publish; limited to alarms of this account and Region with
    // aws:SourceAccount and an ArnLike aws:SourceArn on the alarm ARN, as the knowledge center shows
    // (https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger, read 2026-12-02: the
    // failure reads "Resource: arn:aws:cloudwatch:<region>:<account>:alarm:<name> is not authorized to
    // perform: SNS:Publish").
    this.topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const fiveMinutes = Duration.minutes(5);
    const max = { period: fiveMinutes, statistic: 'Maximum' };
    const sum = { period: fiveMinutes, statistic: 'Sum' };
    const age = props.oldestMessageAge.toSeconds();
    // Each fires when its metric is over the threshold in one period.
    const standing: Record<keyof typeof STANDING_ALARMS, [cloudwatch.IMetric, number]> = {
      LandingDlqNotEmpty: [props.landingDeadLetterQueue.metricApproximateNumberOfMessagesVisible(max), 0],
      BusTargetDlqNotEmpty: [props.busTargetDeadLetterQueue.metricApproximateNumberOfMessagesVisible(max), 0],
      LandingErrors: [props.landingFunction.metricErrors(sum), 0],
      LandingThrottles: [props.landingFunction.metricThrottles(sum), 0],
      LandingBacklogOld: [props.landingQueue.metricApproximateAgeOfOldestMessage(max), age],
      EltRunFailed: [props.eltStateMachine.metricFailed(sum), 0],
      EltRunTimedOut: [props.eltStateMachine.metricTimedOut(sum), 0],
    };
    for (const [id, [metric, threshold]] of Object.entries(standing))
      this.addAlarm(id, STANDING_ALARMS[id as keyof typeof STANDING_ALARMS](threshold), metric, threshold);

    const landed = (name: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: props.metricsNamespace,
        metricName: name,
        dimensionsMap: { service: props.landingService },
        statistic: 'Sum',
        period: fiveMinutes,
      });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      widgets: [
        [
          new cloudwatch.GraphWidget({
            title: 'Landing queue',
            left: [
              props.landingQueue.metricApproximateNumberOfMessagesVisible(),
              props.landingQueue.metricNumberOfMessagesReceived(),
            ],
            right: [props.landingQueue.metricApproximateAgeOfOldestMessage()],
          }),
          new cloudwatch.GraphWidget({
            title: 'Events landed / quarantined',
            left: [landed('EventsLanded'), landed('EventsQuarantined'), landed('RecordsFailed')],
            right: [landed('ObjectsWritten')],
          }),
          new cloudwatch.GraphWidget({
            title: 'Landing function',
            left: [
              props.landingFunction.metricInvocations(),
              props.landingFunction.metricErrors(),
              props.landingFunction.metricThrottles(),
            ],
            right: [props.landingFunction.metricDuration({ statistic: 'p99' })],
          }),
        ],
        [
          new cloudwatch.GraphWidget({
            title: 'Dead-letter queues',
            left: [
              props.landingDeadLetterQueue.metricApproximateNumberOfMessagesVisible(),
              props.busTargetDeadLetterQueue.metricApproximateNumberOfMessagesVisible(),
            ],
          }),
          new cloudwatch.GraphWidget({
            title: 'ELT runs',
            left: [
              props.eltStateMachine.metricSucceeded(),
              props.eltStateMachine.metricFailed(),
              props.eltStateMachine.metricTimedOut(),
            ],
            right: [props.eltStateMachine.metricTime()],
          }),
        ],
      ],
    });
  }

  /**
   * An alarm to the alarm topic when `metric` is over `threshold` in one period; no data is not breaching.
   * For alarms of optional parts of the pipeline (the Kafka landing path, the ingest API).
   */
  addAlarm(id: string, description: string, metric: cloudwatch.IMetric, threshold: number): cloudwatch.Alarm {
    const a = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    a.addAlarmAction(new actions.SnsAction(this.topic));
    this.alarms.push(a);
    return a;
  }
}
