import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** The request-metrics filter of {@link KafkaFailureBucket}: every object of the bucket. */
export const KAFKA_FAILURE_METRICS_FILTER = 'EntireBucket';

/** Props of {@link KafkaFailureBucket}. */
export interface KafkaFailureBucketProps {
  /** Server access logs go here (the raw bucket's log bucket), under `kafka-failures/`. */
  readonly accessLogs: s3.IBucket;
  /** Days a failure record is kept: time to fix the cause and run `elt redrive --kafka`. */
  readonly expireDays: number;
  /** Delete the bucket and its objects with the stack. @default false */
  readonly destroyOnRemoval?: boolean;
}

/**
 * Where the Kafka event source mapping writes a batch it gave up on. An S3 destination is the only kind
 * that receives the records themselves (SQS and SNS destinations get offsets only, which are lost once
 * the topic's retention passes). Encrypted, private, TLS-only, access-logged; request metrics on, so an
 * alarm can fire on the first write. Kept in the stateful stack: it holds data.
 */
export class KafkaFailureBucket extends Construct {
  readonly bucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: KafkaFailureBucketProps) {
    super(scope, id);
    const destroy = props.destroyOnRemoval ?? false;
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'kafka-failures/',
      metrics: [{ id: KAFKA_FAILURE_METRICS_FILTER }],
      lifecycleRules: [
        { id: 'expire-failure-records', expiration: Duration.days(props.expireDays) },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ],
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: destroy,
    });
  }

  /** Objects written to the bucket per 5 minutes (S3 request metrics): a failure record arrived. */
  metricPuts(): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'PutRequests',
      dimensionsMap: { BucketName: this.bucket.bucketName, FilterId: KAFKA_FAILURE_METRICS_FILTER },
      statistic: 'Sum',
      period: Duration.minutes(5),
    });
  }
}
