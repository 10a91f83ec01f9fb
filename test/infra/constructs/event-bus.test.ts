import { Match } from 'aws-cdk-lib/assertions';
import { RULES } from '../../../lib/core/rules.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { logicalId, resourcesOf, synthesize, type SynthesizedApp } from '../../support/cdk-app.js';

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

describe('stateful stack: bus, rules, queues', () => {
  it('creates one EventBridge rule per catalogue rule with the catalogue pattern verbatim', () => {
    const rules = resourcesOf(s.statefulTemplate, 'AWS::Events::Rule');
    expect(Object.keys(rules)).toHaveLength(RULES.length);
    for (const rule of RULES) {
      s.statefulTemplate.hasResourceProperties('AWS::Events::Rule', {
        Name: `elt-dev-bus-${rule.name}`,
        EventPattern: rule.pattern,
        EventBusName: { Ref: Match.anyValue() },
      });
    }
  });

  it('targets the landing queue with an explicit retry policy and a target DLQ', () => {
    const queue = logicalId(s.statefulTemplate, 'AWS::SQS::Queue', { RedrivePolicy: Match.anyValue() });
    s.statefulTemplate.hasResourceProperties('AWS::Events::Rule', {
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [queue, 'Arn'] },
          Id: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBusTargetDeadLetterQueue'), 'Arn'] },
          },
        },
      ],
    });
  });

  it('archives every event of the bus for the configured retention', () => {
    s.statefulTemplate.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { account: ['123456789012'] },
      RetentionDays: 7,
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBus'), 'Arn'] },
    });
  });
});
