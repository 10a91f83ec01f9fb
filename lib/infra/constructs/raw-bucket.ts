import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { QUARANTINE_PREFIX, RAW_PREFIX } from '../../core/landing/object-keys.js';

/** Props of {@link RawBucket}. */
export interface RawBucketProps {
  /** Days before raw objects move to Standard-IA (S3 requires at least 30). */
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
 * `manifests/`. Encrypted, private, TLS-only, versioned (a retried batch overwrites its object; the
 * previous version stays recoverable for a while), with server access logs in a bucket of their own.
 */
export class RawBucket extends Construct {
  readonly bucket: s3.Bucket;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: RawBucketProps) {
    super(scope, id);
    if (props.infrequentAccessAfterDays < 30) {
      throw new Error(
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
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogs,
      serverAccessLogsPrefix: 'raw-bucket/',
      lifecycleRules: [
        {
          id: 'raw-to-infrequent-access',
          prefix: RAW_PREFIX,
          transitions: [
            {
              storageClass: s3.StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.infrequentAccessAfterDays),
            },
          ],
          noncurrentVersionExpiration: Duration.days(30),
        },
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
      ],
      ...removal,
    });
  }
}
