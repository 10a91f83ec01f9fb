import { Duration, Stack } from 'aws-cdk-lib';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kinesis from 'aws-cdk-lib/aws-kinesis';
import * as pipes from 'aws-cdk-lib/aws-pipes';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ConstructPropsError } from '../construct-errors.js';

/** The event sources the job counts: the marketplace's own, never the pipeline's (`elt.*`). */
export const STREAM_INPUT_PATTERN: events.EventPattern = { source: events.Match.prefix('marketplace.') };

/** Props of {@link ManagedFlinkKinesisFeed}. */
export interface ManagedFlinkKinesisFeedProps {
  /** The app's bus: its marketplace events go to the job, the job's results come back to it. */
  readonly bus: events.IEventBus;
  /** Shards of each stream (provisioned: 1 MB/s or 1,000 records/s of writes, 2 MB/s of reads each). */
  readonly shardCount: number;
  /** Retries of the rule's target before an event goes to the feed's dead-letter queue. */
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/**
 * The EventBridge variant's way in and out of the stream job, which cannot read a bus: a rule on the bus sends
 * every `marketplace.*` event (the whole envelope, as the Kafka topic carries it) to a Kinesis data stream the job
 * reads; the job writes its results (whole `elt.stream` envelopes, sql/stream/sink-kinesis.sql) to a second
 * stream, and an EventBridge pipe puts each back on the bus with its own source, detail-type, time and detail, where
 * the landing rule lands it like any event. The rule's pattern leaves `elt.*` out, so results never loop back in.
 *
 * Streams are provisioned, not on-demand: at the pipeline's rates one shard carries the load (100 events/s of
 * 1 KiB is a tenth of a shard's write limit), and a provisioned shard costs about a third of an on-demand stream's
 * hourly charge before its per-GB charges (data/aws-pricing.json). Both are encrypted with the AWS managed
 * Kinesis key (the repo's choice for data at rest elsewhere), which needs no key grants.
 */
export class ManagedFlinkKinesisFeed extends Construct {
  /** Bus events in: the job's source. */
  readonly stream: kinesis.Stream;
  /** The job's results out. */
  readonly resultsStream: kinesis.Stream;
  readonly rule: events.Rule;
  /** Events the rule could not put on the stream after its retries. */
  readonly deadLetterQueue: sqs.Queue;
  readonly pipe: pipes.CfnPipe;
  readonly pipeRole: iam.Role;

  constructor(scope: Construct, id: string, props: ManagedFlinkKinesisFeedProps) {
    super(scope, id);
    if (!Number.isInteger(props.shardCount) || props.shardCount < 1 || props.shardCount > 500)
      throw new ConstructPropsError(
        `ManagedFlinkKinesisFeed: shardCount must be an integer from 1 to 500, got ${props.shardCount}`,
      );
    const streamProps: kinesis.StreamProps = {
      streamMode: kinesis.StreamMode.PROVISIONED,
      shardCount: props.shardCount,
      encryption: kinesis.StreamEncryption.MANAGED,
      retentionPeriod: Duration.hours(24),
    };
    this.stream = new kinesis.Stream(this, 'Events', streamProps);
    this.resultsStream = new kinesis.Stream(this, 'Results', streamProps);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      { id: 'AwsSolutions-SQS3', reason: 'This queue is itself the dead-letter queue of the stream rule.' },
    ]);
    this.rule = new events.Rule(this, 'ToStream', {
      eventBus: props.bus,
      description:
        'Every marketplace.* event to the stream job (Managed Service for Apache Flink) through Kinesis',
      eventPattern: STREAM_INPUT_PATTERN,
      targets: [
        new targets.KinesisStream(this.stream, {
          // Partitioned by the event's own id: the job keys its windows itself, so any spread over shards works.
          partitionKeyPath: '$.id',
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: props.retryAttempts,
          maxEventAge: props.maxEventAge,
        }),
      ],
    });

    this.pipeRole = new iam.Role(this, 'PipeRole', {
      assumedBy: new iam.ServicePrincipal('pipes.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
      description: "Puts the stream job's results from Kinesis back on the bus",
    });
    this.resultsStream.grantRead(this.pipeRole);
    props.bus.grantPutEventsTo(this.pipeRole);
    this.pipe = new pipes.CfnPipe(this, 'ResultsToBus', {
      description: "The stream job's results (elt.stream envelopes) from Kinesis back onto the bus",
      roleArn: this.pipeRole.roleArn,
      source: this.resultsStream.streamArn,
      sourceParameters: {
        kinesisStreamParameters: {
          startingPosition: 'TRIM_HORIZON',
          batchSize: 10,
          maximumBatchingWindowInSeconds: 1,
          // A result the bus refuses is retried, then dropped with the pipe's failure metrics raised: results
          // are idempotent by eventId and the next window's result supersedes nothing, so no DLQ is kept.
          maximumRetryAttempts: 10,
        },
      },
      target: props.bus.eventBusArn,
      targetParameters: {
        // Pipes parses a Kinesis record's data as JSON when it is JSON; dynamic paths read the envelope.
        eventBridgeEventBusParameters: {
          source: '$.data.source',
          detailType: '$.data.detail-type',
          time: '$.data.time',
        },
        inputTemplate: '<$.data.detail>',
      },
    });
    this.pipe.node.addDependency(this.pipeRole);
  }

  /** Events the rule could not deliver to the stream, over 5 minutes. */
  metricDeadLetters(): cloudwatch.Metric {
    return this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      period: Duration.minutes(5),
      statistic: 'Maximum',
    });
  }
}
