import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, resourcesOf, synthesize, type SynthesizedApp } from '../../support/cdk-app.js';

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('stateful stack: raw bucket', () => {
  it('encrypts, blocks public access, versions, and logs access', () => {
    s.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^RawBucketAccessLogs') },
        LogFilePrefix: 'raw-bucket/',
      },
    });
  });

  it('moves raw objects to Standard-IA and expires quarantine', () => {
    s.statefulTemplate.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'raw-to-infrequent-access',
            Prefix: 'raw/',
            Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
          }),
          Match.objectLike({ Id: 'expire-quarantine', Prefix: 'quarantine/', ExpirationInDays: 90 }),
        ]),
      },
    });
  });

  it('states that only raw objects over 128 KiB move to Standard-IA (S3 skips smaller ones and IA bills 128 KB each)', () => {
    const raw = logicalId(s.statefulTemplate, 'AWS::S3::Bucket', {
      VersioningConfiguration: Match.anyValue(),
    });
    const rules = resourcesOf(s.statefulTemplate, 'AWS::S3::Bucket')[raw]!.Properties
      .LifecycleConfiguration as {
      Rules: Record<string, unknown>[];
      TransitionDefaultMinimumObjectSize: string;
    };
    expect(rules.TransitionDefaultMinimumObjectSize).toBe('all_storage_classes_128K');
    expect(rules.Rules.find((r) => r.Id === 'raw-to-infrequent-access')).toEqual({
      Id: 'raw-to-infrequent-access',
      Prefix: 'raw/',
      ObjectSizeGreaterThan: '131072',
      Status: 'Enabled',
      Transitions: [{ StorageClass: 'STANDARD_IA', TransitionInDays: 30 }],
    });
    // Old versions of raw objects of every size still expire: that rule carries no size filter.
    expect(rules.Rules.find((r) => r.Id === 'expire-noncurrent-raw')).toEqual({
      Id: 'expire-noncurrent-raw',
      Prefix: 'raw/',
      NoncurrentVersionExpiration: { NoncurrentDays: 30 },
      Status: 'Enabled',
    });
  });

  it('denies every request that is not over TLS', () => {
    s.statefulTemplate.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: Match.stringLikeRegexp('^RawBucket[0-9A-F]{8}$') },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });

  it('retains the buckets by default and destroys them only behind the explicit flag', () => {
    const retained = Object.values(resourcesOf(s.statefulTemplate, 'AWS::S3::Bucket')).map(
      (b) => b.DeletionPolicy,
    );
    expect(retained).toEqual(['Retain', 'Retain']);
    const destroyed = synthesize({ destroyOnRemoval: 'true' });
    expect(
      Object.values(resourcesOf(destroyed.statefulTemplate, 'AWS::S3::Bucket')).map((b) => b.DeletionPolicy),
    ).toEqual(['Delete', 'Delete']);
  });
});
