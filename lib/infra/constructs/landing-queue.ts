import { Duration } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ConstructPropsError } from '../construct-errors.js';

/** Props of {@link LandingQueue}. */
export interface LandingQueueProps {
  /** Timeout of the function that consumes the queue: the visibility timeout is derived from it. */
  readonly consumerTimeout: Duration;
  /** Batching window of the consumer's event source. */
  readonly batchWindow: Duration;
  /** Deliveries before a message moves to the DLQ. */
  readonly maxReceiveCount: number;
}

/**
 * The buffer between the bus and landing: an SQS queue with its own DLQ (redrive after
 * `maxReceiveCount` failed deliveries). Encrypted, TLS-only. The visibility timeout is six times the
 * consumer's timeout plus the batching window, as AWS recommends for SQS event sources, so a message is
 * not redelivered while a slow batch that holds it is still running.
 */
export class LandingQueue extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: LandingQueueProps) {
    super(scope, id);
    if (props.maxReceiveCount < 1)
      throw new ConstructPropsError(
        `LandingQueue: maxReceiveCount must be at least 1, got ${props.maxReceiveCount}`,
      );
    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    NagSuppressions.addResourceSuppressions(this.deadLetterQueue, [
      {
        id: 'AwsSolutions-SQS3',
        reason: 'This is the dead-letter queue; it has no DLQ of its own by design.',
      },
    ]);
    const visibility = props.consumerTimeout.toSeconds() * 6 + props.batchWindow.toSeconds();
    if (visibility > 43_200) {
      throw new ConstructPropsError(
        `LandingQueue: the visibility timeout would be ${visibility} s, over SQS's 43,200 s: lower the consumer timeout`,
      );
    }
    this.queue = new sqs.Queue(this, 'Queue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(4),
      visibilityTimeout: Duration.seconds(visibility),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: props.maxReceiveCount },
    });
  }
}
