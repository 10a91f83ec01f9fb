import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { RPU_HOUR_USD_ESTIMATE } from '../../../lib/infra/stateless-stack.js';
import { packageRoot } from '../../../lib/package-paths.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, only, resourcesOf, synthesize, type SynthesizedApp } from '../../support/cdk-app.js';

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('stateless stack: alarms and dashboard', () => {
  it('alarms on both DLQs, landing errors, throttles and age, failed or timed-out ELT runs, ingest API 5xx and warehouse compute, all to the alarm topic', () => {
    const alarms = Object.values(resourcesOf(s.statelessTemplate, 'AWS::CloudWatch::Alarm'));
    expect(alarms.map((a) => a.Properties.MetricName).sort()).toEqual([
      '5xx',
      'ApproximateAgeOfOldestMessage',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesVisible',
      'ComputeSeconds',
      'Errors',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'Throttles',
    ]);
    s.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: logicalId(s.statelessTemplate, 'AWS::ApiGatewayV2::Api') } },
      ],
      Statistic: 'Sum',
      Threshold: 0,
    });
    const topic = logicalId(s.statelessTemplate, 'AWS::SNS::Topic');
    for (const a of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topic }]);
    s.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: 900,
    });
  });

  it('alarms when the workgroup uses more RPU-hours a day than warehouse.costAlarmRpuHoursPerDay, priced in the description', () => {
    s.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Redshift-Serverless',
      MetricName: 'ComputeSeconds',
      Dimensions: [{ Name: 'Workgroup', Value: 'elt-dev-warehouse' }],
      Statistic: 'Sum',
      Period: 86_400,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 48 * 3600,
      TreatMissingData: 'notBreaching',
      AlarmDescription: Match.stringLikeRegexp(
        'more than 48 RPU-hours in a day \\(warehouse.costAlarmRpuHoursPerDay\\), about \\$18.00 of compute at \\$0.375/RPU-hour',
      ),
    });
    const prod = synthesize({ env: 'prod' });
    prod.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ComputeSeconds',
      Threshold: 6 * 32 * 3600,
    });
  });

  it('prices the alarm text with the RPU-hour figure of data/aws-pricing.json', () => {
    const pricing = JSON.parse(readFileSync(join(packageRoot(), 'data', 'aws-pricing.json'), 'utf8')) as {
      prices: { id: string; usd: number | null }[];
    };
    expect(pricing.prices.find((p) => p.id === 'redshift-serverless-rpu-hour')?.usd).toBe(
      RPU_HOUR_USD_ESTIMATE,
    );
  });

  it('encrypts the alarm topic with a rotating key of its own that CloudWatch alarms of this account may use', () => {
    const key = logicalId(s.statelessTemplate, 'AWS::KMS::Key');
    const keyResource = only(resourcesOf(s.statelessTemplate, 'AWS::KMS::Key'));
    expect(keyResource.Properties.EnableKeyRotation).toBe(true);
    expect((keyResource.Properties.KeyPolicy as { Statement: unknown[] }).Statement).toEqual(
      expect.arrayContaining([
        {
          Sid: 'AllowCloudWatchAlarmsOfThisAccount',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          Resource: '*',
          Condition: { StringEquals: { 'aws:SourceAccount': '123456789012' } },
        },
      ]),
    );
    expect(only(resourcesOf(s.statelessTemplate, 'AWS::SNS::Topic')).Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [key, 'Arn'],
    });
    expect(JSON.stringify(s.statelessTemplate.toJSON())).not.toContain('alias/aws/sns');
  });

  it('lets only CloudWatch alarms of this account and Region publish to the topic, over TLS', () => {
    const topic = logicalId(s.statelessTemplate, 'AWS::SNS::Topic');
    s.statelessTemplate.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [{ Ref: topic }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          {
            Sid: 'AllowCloudWatchAlarmsToPublish',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: { Ref: topic },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:eu-west-1:123456789012:alarm:*'],
                  ],
                },
              },
            },
          },
        ],
      },
    });
  });

  it('has a dashboard and the outputs a user needs', () => {
    s.statelessTemplate.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    for (const output of ['StateMachineArn', 'AlarmTopicArn', 'DashboardName', 'LandingFunctionName'])
      s.statelessTemplate.hasOutput(output, {});
    for (const output of ['BusName', 'RawBucketName', 'WorkgroupName', 'DatabaseName', 'LandingQueueUrl'])
      s.statefulTemplate.hasOutput(output, {});
  });
});
