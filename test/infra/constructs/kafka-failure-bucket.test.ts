import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { KAFKA_VARIANTS, logicalId, synthesize, type SynthesizedApp } from '../../support/cdk-app.js';

let msk: SynthesizedApp;
let selfManaged: SynthesizedApp;
beforeAll(() => {
  msk = synthesize(KAFKA_VARIANTS.msk);
  selfManaged = synthesize(KAFKA_VARIANTS.selfManaged);
});

describe('the optional Kafka landing path', () => {
  describe('the Kafka landing function (stateless stack)', () => {
    it('keeps failed batches, records included, in an encrypted, TLS-only, access-logged bucket of the stateful stack', () => {
      for (const variant of [msk, selfManaged]) {
        const t = variant.statefulTemplate;
        const bucket = logicalId(t, 'AWS::S3::Bucket', {
          MetricsConfigurations: [{ Id: 'EntireBucket' }],
        });
        expect(bucket).toMatch(/^KafkaFailuresBucket/);
        t.hasResource('AWS::S3::Bucket', {
          DeletionPolicy: 'Retain',
          Properties: Match.objectLike({
            BucketEncryption: {
              ServerSideEncryptionConfiguration: [
                { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
              ],
            },
            PublicAccessBlockConfiguration: {
              BlockPublicAcls: true,
              BlockPublicPolicy: true,
              IgnorePublicAcls: true,
              RestrictPublicBuckets: true,
            },
            LoggingConfiguration: {
              DestinationBucketName: {
                Ref: logicalId(t, 'AWS::S3::Bucket', { OwnershipControls: Match.anyValue() }),
              },
              LogFilePrefix: 'kafka-failures/',
            },
            LifecycleConfiguration: {
              Rules: Match.arrayWith([
                Match.objectLike({ Id: 'expire-failure-records', ExpirationInDays: 90 }),
              ]),
            },
            MetricsConfigurations: [{ Id: 'EntireBucket' }],
          }),
        });
        t.hasResourceProperties('AWS::S3::BucketPolicy', {
          Bucket: { Ref: bucket },
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({
                Effect: 'Deny',
                Action: 's3:*',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
            ]),
          },
        });
        t.hasOutput('KafkaFailureBucketName', { Value: { Ref: bucket } });
      }
    });
  });
});
