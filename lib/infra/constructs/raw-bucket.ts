import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../../core/landing/object-keys.js';
import { ConstructPropsError } from '../construct-errors.js';

/**
 * Smallest raw object the Standard-IA transition moves, in bytes (128 KiB, exclusive). Two S3 rules meet
 * here. Lifecycle does not transition objects under 128 KB by default: `TransitionDefaultMinimumObjectSize`
 * `all_storage_classes_128K` means "Objects smaller than 128 KB will not transition to any storage class by
 * default" (CloudFormation AWS::S3::Bucket LifecycleConfiguration,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-lifecycleconfig.html),
 * it is the default since September 2024 (aws-cdk-lib's TransitionDefaultMinimumObjectSize,
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_s3.TransitionDefaultMinimumObjectSize.html),
 * and "Custom filters always take precedence over the default transition behavior" (S3 API,
 * https://docs.aws.amazon.com/sdk-for-kotlin/api/latest/s3/aws.sdk.kotlin.services.s3.model/-get-bucket-lifecycle-configuration-response/transition-default-minimum-object-size.html).
 * And Standard-IA bills an object under 128 KB as 128 KB ("If an object is less than 128 KB, Amazon S3
 * charges you for 128 KB", https://docs.aws.amazon.com/AmazonS3/latest/userguide/storage-class-intro.html):
 * moving a 20 KB object would cost more than keeping it in Standard. All read 2026-12-02. The rule states
 * the floor itself so that the template says what really happens.
 */
export const INFREQUENT_ACCESS_MIN_OBJECT_BYTES = 128 * 1024;

/** Props of {@link RawBucket}. */
export interface RawBucketProps {
  /** Days before raw objects over 128 KiB move to Standard-IA (S3 requires at least 30). */
  readonly infrequentAccessAfterDays: number;
  /** Days quarantined inputs are kept. */
  readonly quarantineExpireDays: number;
  /**
   * Delete the buckets and every object with the stack. Only for throwaway environments.
   * @default false: the buckets are retained when the stack is deleted
   */
  readonly destroyOnRemoval?: boolean;
}

/**
 * The raw bucket: landed events under `raw/`, rejected inputs under `quarantine/`, ELT manifests under
 * `manifests/`, the ELT watermark under `state/`. Encrypted, private, TLS-only, versioned (a retried batch
 * overwrites its object; the previous version stays recoverable for 30 days), with server access logs in a
 * bucket of their own.
 *
 * Only raw objects larger than 128 KiB move to Standard-IA (see {@link INFREQUENT_ACCESS_MIN_OBJECT_BYTES}):
 * landed batches of 10–30 KB stay in S3 Standard for good, which is also the cheaper place for them.
 */
export class RawBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: RawBucketProps) {
    super(scope, id);
    if (props.infrequentAccessAfterDays < 30) {
      throw new ConstructPropsError(
        `RawBucket: infrequentAccessAfterDays must be at least 30 (S3's minimum for Standard-IA), got ${props.infrequentAccessAfterDays}`,
      );
    }
    const destroy = props.destroyOnRemoval ?? false;
    const removal = {
      removalPolicy: destroy ? RemovalPolicy.DESTROY : RemovalPolicy.RETAIN,
      autoDeleteObjects: destroy,
    };
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      ...removal,
    });
    NagSuppressions.addResourceSuppressions(this.accessLogs, [
      { id: 'AwsSolutions-S1', reason: 'This is the access log bucket; logging it to itself would loop.' },
    ]);
    const lifecycleRules: s3.LifecycleRule[] = [
      {
        id: 'raw-to-infrequent-access',
        prefix: RAW_PREFIX,
        objectSizeGreaterThan: INFREQUENT_ACCESS_MIN_OBJECT_BYTES,
        transitions: [
          {
            storageClass: s3.StorageClass.INFREQUENT_ACCESS,
            transitionAfter: Duration.days(props.infrequentAccessAfterDays),
          },
        ],
      },
      // Apart from the transition: its size filter would otherwise keep small old versions for ever.
      { id: 'expire-noncurrent-raw', prefix: RAW_PREFIX, noncurrentVersionExpiration: Duration.days(30) },
      {
        id: 'expire-quarantine',
        prefix: QUARANTINE_PREFIX,
        expiration: Duration.days(props.quarantineExpireDays),
        noncurrentVersionExpiration: Duration.days(1),
      },
      {
        id: 'expire-manifests',
        prefix: 'manifests/',
        expiration: Duration.days(30),
        noncurrentVersionExpiration: Duration.days(1),
      },
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
    ];
    this.bucket = new s3.Bucket(this, 'Bucket', {
      // Explicit, as the template should state it: the default for new configurations (see above).
      transitionDefaultMinimumObjectSize: s3.TransitionDefaultMinimumObjectSize.ALL_STORAGE_CLASSES_128_K,
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'raw-bucket/',
      lifecycleRules,
      ...removal,
    });
    // The CloudFormation schema types ObjectSizeGreaterThan as a string of digits; aws-cdk-lib renders the
    // number, which its template check coerces with a warning on every synth.
    const rule = lifecycleRules.findIndex((r) => r.objectSizeGreaterThan !== undefined);
    (this.bucket.node.defaultChild as s3.CfnBucket).addPropertyOverride(
      `LifecycleConfiguration.Rules.${rule}.ObjectSizeGreaterThan`,
      String(INFREQUENT_ACCESS_MIN_OBJECT_BYTES),
    );
  }
}
