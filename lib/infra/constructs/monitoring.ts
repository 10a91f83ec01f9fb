import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

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
 * landing backlog that grows old, a failed ELT run — sent to an encrypted SNS topic, and a dashboard of
 * the flow from bus to warehouse.
 */
export class Monitoring extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.topic = new sns.Topic(this, 'AlarmTopic', {
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));

    const fiveMinutes = Duration.minutes(5);
    const alarm = this.addAlarm.bind(this);
    alarm(
      'LandingDlqNotEmpty',
      'Messages landing gave up on are in the landing DLQ: inspect them, fix the cause, then `elt redrive`.',
      props.landingDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Maximum',
      }),
      0,
    );
    alarm(
      'BusTargetDlqNotEmpty',
      'The bus could not deliver events to the landing queue after its retries; they are in the target DLQ.',
      props.busTargetDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: fiveMinutes,
        statistic: 'Maximum',
      }),
      0,
    );
    alarm(
      'LandingErrors',
      'The landing function failed invocations (whole batches are retried).',
      props.landingFunction.metricErrors({ period: fiveMinutes, statistic: 'Sum' }),
      0,
    );
    alarm(
      'LandingThrottles',
      'The landing function was throttled: raise its concurrency or the account limit.',
      props.landingFunction.metricThrottles({ period: fiveMinutes, statistic: 'Sum' }),
      0,
    );
    alarm(
      'LandingBacklogOld',
      `The oldest message waiting for landing is older than ${props.oldestMessageAge.toSeconds()} s: landing is behind.`,
      props.landingQueue.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      props.oldestMessageAge.toSeconds(),
    );
    alarm(
      'EltRunFailed',
      'An ELT run failed; the run history and the EltRunFailed event say why.',
      props.eltStateMachine.metricFailed({ period: fiveMinutes, statistic: 'Sum' }),
      0,
    );
    alarm(
      'EltRunTimedOut',
      'An ELT run hit the state machine timeout: its failure step did not run, so no EltRunFailed event or run history says so.',
      props.eltStateMachine.metricTimedOut({ period: fiveMinutes, statistic: 'Sum' }),
      0,
    );

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
