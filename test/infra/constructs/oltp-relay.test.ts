import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  logicalId,
  only,
  resourcesOf,
  synthesize,
  withEnvironment,
  type IamStatement,
  type SynthesizedApp,
} from '../../support/cdk-app.js';

const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:marketplace-db-AbCdEf';
const KMS_KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

let plain: SynthesizedApp;
let relay: SynthesizedApp;
let tuned: SynthesizedApp;
beforeAll(() => {
  plain = synthesize();
  relay = synthesize(withEnvironment('dev', { oltp: { secretArn: SECRET_ARN } }));
  tuned = synthesize(
    withEnvironment('dev', {
      oltp: {
        secretArn: SECRET_ARN,
        kmsKeyArn: KMS_KEY_ARN,
        port: 6432,
        sslMode: 'no-verify',
        scheduleMinutes: 30,
        batchSize: 100,
        lagAlarmSeconds: 3600,
      },
    }),
  );
});

const stateful = (resource: string) => ({
  'Fn::ImportValue': Match.stringLikeRegexp(`^elt-dev-stateful:ExportsOutput.*${resource}`),
});
const isolatedSubnets = [1, 2, 3].map((n) => stateful(`WarehouseVpcwarehouseSubnet${n}Subnet`));
const relayGroupId = { 'Fn::GetAtt': [Match.stringLikeRegexp('^OltpRelaySecurityGroup'), 'GroupId'] };

/** The statements of the relay role's one policy. */
function relayStatements(app: SynthesizedApp): IamStatement[] {
  const t = app.statelessTemplate;
  const role = logicalId(t, 'AWS::IAM::Role', {
    Description: Match.stringLikeRegexp('^Relays the marketplace'),
  });
  const policies = Object.values(resourcesOf(t, 'AWS::IAM::Policy')).filter(
    (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]),
  );
  expect(policies).toHaveLength(1);
  return (policies[0]!.Properties.PolicyDocument as { Statement: IamStatement[] }).Statement;
}

describe('the outbox relay (oltp)', () => {
  it('is not built without an oltp section', () => {
    const t = plain.statelessTemplate;
    expect(Object.keys(t.toJSON().Resources as object).filter((id) => id.includes('OltpRelay'))).toEqual([]);
    expect(Object.keys(t.toJSON().Outputs as object)).not.toContain('OltpRelaySecurityGroupId');
  });

  it('runs lambdas/oltp/relay.ts in the isolated subnets of the warehouse VPC with its own security group, one at a time', () => {
    relay.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Description: "Relays the marketplace database's outbox to the event bus",
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 60,
      ReservedConcurrentExecutions: 1,
      VpcConfig: { SubnetIds: isolatedSubnets, SecurityGroupIds: [relayGroupId] },
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'elt-oltp-relay',
          POWERTOOLS_METRICS_NAMESPACE: 'ServerlessElt',
          NODE_OPTIONS: '--enable-source-maps',
          RAW_BUCKET: stateful('RawBucket'),
          BUS_NAME: stateful('EventBus'),
          OLTP_SECRET_ARN: SECRET_ARN,
          OLTP_SSL_MODE: 'verify-full',
          OLTP_BATCH_SIZE: '500',
          // verify-full trusts the Amazon RDS CAs, which nodejs22.x leaves out unless told.
          NODE_EXTRA_CA_CERTS: '/var/runtime/ca-cert.pem',
        },
      },
    });
    tuned.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Relays the marketplace'),
      Timeout: 900,
      Environment: {
        Variables: Match.objectLike({
          OLTP_SSL_MODE: 'no-verify',
          OLTP_BATCH_SIZE: '100',
          NODE_EXTRA_CA_CERTS: Match.absent(),
        }),
      },
    });
  });

  it('lets the relay reach only the database port and HTTPS, and the endpoints only from the relay', () => {
    for (const [app, port] of [
      [relay, 5432],
      [tuned, 6432],
    ] as const) {
      const t = app.statelessTemplate;
      const group = only(
        t.findResources('AWS::EC2::SecurityGroup', {
          Properties: { GroupDescription: 'The outbox relay: allow it on the database port' },
        }) as Record<string, { Properties: Record<string, unknown> }>,
      );
      expect(group.Properties.VpcId).toEqual({
        'Fn::ImportValue': expect.stringMatching(/^elt-dev-stateful:ExportsOutputRefWarehouseVpc/),
      });
      expect(
        (group.Properties.SecurityGroupEgress as Record<string, unknown>[]).map((r) => [
          r.CidrIp,
          r.IpProtocol,
          r.FromPort,
          r.ToPort,
        ]),
      ).toEqual([
        ['0.0.0.0/0', 'tcp', port, port],
        ['0.0.0.0/0', 'tcp', 443, 443],
      ]);
      expect(group.Properties.SecurityGroupIngress).toBeUndefined();
      t.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        GroupId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^OltpRelayEndpointSecurityGroup'), 'GroupId'] },
        SourceSecurityGroupId: relayGroupId,
      });
      for (const service of ['secretsmanager', 'events'])
        t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          ServiceName: `com.amazonaws.eu-west-1.${service}`,
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
          SubnetIds: isolatedSubnets,
        });
    }
  });

  it('runs on a rate schedule, dropping a run that would overlap the last one', () => {
    const fn = { 'Fn::GetAtt': [Match.stringLikeRegexp('^OltpRelayFunction'), 'Arn'] };
    relay.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      Targets: [{ Arn: fn, Id: 'Target0', RetryPolicy: { MaximumRetryAttempts: 0 } }],
    });
    tuned.statelessTemplate.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(30 minutes)',
      Targets: [Match.objectLike({ Arn: fn })],
    });
    relay.statelessTemplate.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: Match.stringLikeRegexp('^OltpRelayFunction') },
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  it('grants exactly the secret, the bus, quarantine/ of the raw bucket and the VPC network interfaces', () => {
    const eni = {
      Action: [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Effect: 'Allow',
      Resource: '*',
    };
    const common = [
      {
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^OltpRelayFunctionLogs/), 'Arn'] },
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: SECRET_ARN },
    ];
    const rest = [
      {
        Action: 'events:PutEvents',
        Effect: 'Allow',
        Resource: {
          'Fn::ImportValue': expect.stringMatching(/^elt-dev-stateful:ExportsOutputFnGetAttEventBus/),
        },
      },
      {
        Action: 's3:PutObject',
        Effect: 'Allow',
        Resource: {
          'Fn::Join': [
            '',
            [
              {
                'Fn::ImportValue': expect.stringMatching(/^elt-dev-stateful:ExportsOutputFnGetAttRawBucket/),
              },
              '/quarantine/*',
            ],
          ],
        },
      },
      eni,
    ];
    expect(relayStatements(relay)).toEqual([...common, ...rest]);
    expect(relayStatements(tuned)).toEqual([
      ...common,
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: KMS_KEY_ARN,
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      },
      ...rest,
    ]);
    // "*" only where no resource can be named: the network interfaces Lambda makes at run time.
    expect(relayStatements(relay).filter((s) => s.Resource === '*')).toEqual([eni]);
  });

  it('alarms on an old outbox and on failed runs, to the alarm topic', () => {
    const alarm = (description: string, more: Record<string, unknown>) =>
      relay.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(description),
        AlarmActions: [{ Ref: Match.stringLikeRegexp('^MonitoringAlarmTopic') }],
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        Period: 300,
        ...more,
      });
    alarm('^The oldest unsent outbox row .* older than 600 s', {
      Namespace: 'ServerlessElt',
      MetricName: 'OutboxOldestUnsentAgeSeconds',
      Dimensions: [{ Name: 'service', Value: 'elt-oltp-relay' }],
      Statistic: 'Maximum',
      Threshold: 600,
    });
    alarm('^Outbox relay runs failed', {
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: Match.stringLikeRegexp('^OltpRelayFunction') } }],
      Statistic: 'Sum',
      Threshold: 0,
    });
    tuned.statelessTemplate.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'OutboxOldestUnsentAgeSeconds',
      Threshold: 3600,
    });
  });

  it('outputs the security group to allow on the database', () => {
    relay.statelessTemplate.hasOutput('OltpRelaySecurityGroupId', {
      Value: relayGroupId,
      Description: "Allow this security group on your database's port 5432 (the outbox relay)",
    });
  });
});
