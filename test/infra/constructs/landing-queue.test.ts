import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, it } from 'vitest';
import { synthesize, type SynthesizedApp } from '../../support/cdk-app.js';

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('stateful stack: bus, rules, queues', () => {
  it('lets only the rules send to the landing queue, over TLS', () => {
    s.statefulTemplate.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Action: Match.arrayWith(['sqs:SendMessage']),
            Condition: {
              ArnEquals: {
                'aws:SourceArn': { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBusRule'), 'Arn'] },
              },
            },
            Principal: { Service: 'events.amazonaws.com' },
          }),
        ],
      },
    });
  });

  it('gives the landing queue its own DLQ and a visibility timeout of 6 × the function timeout + the window', () => {
    s.statefulTemplate.hasResourceProperties('AWS::SQS::Queue', {
      VisibilityTimeout: 6 * 60 + 30,
      SqsManagedSseEnabled: true,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [Match.stringLikeRegexp('^LandingQueueDeadLetterQueue'), 'Arn'],
        },
        maxReceiveCount: 5,
      },
    });
  });
});
