import * as iam from 'aws-cdk-lib/aws-iam';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/** Exactly which object operations a role gets on which key prefixes of a bucket. */
export interface BucketAccess {
  /** Prefixes it may write objects under (s3:PutObject only). */
  readonly put?: readonly string[];
  /** Prefixes it may read objects from (s3:GetObject only). */
  readonly get?: readonly string[];
  /** Prefixes it may delete objects under (s3:DeleteObject only). */
  readonly delete?: readonly string[];
  /** Prefixes it may list (s3:ListBucket with an s3:prefix condition). */
  readonly list?: readonly string[];
}

/**
 * Grants a role precisely the S3 actions it uses, each limited to key prefixes, instead of the broader
 * action bundles of `bucket.grantRead/grantPut` (which add tagging, legal hold, retention and multipart
 * abort rights nothing here needs).
 */
export function grantBucketAccess(bucket: s3.IBucket, grantee: iam.IGrantable, access: BucketAccess): void {
  const objects = (prefixes: readonly string[]): string[] =>
    prefixes.map((p) => bucket.arnForObjects(`${p}*`));
  if (access.put?.length) {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: objects(access.put) });
  }
  if (access.get?.length) {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject'], resourceArns: objects(access.get) });
  }
  if (access.delete?.length) {
    iam.Grant.addToPrincipal({ grantee, actions: ['s3:DeleteObject'], resourceArns: objects(access.delete) });
  }
  if (access.list?.length) {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': access.list.map((p) => `${p}*`) } },
      }),
    );
  }
}
