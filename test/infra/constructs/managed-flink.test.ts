import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../lib/infra/config.js';
import {
  FlinkJobJarMissingError,
  MSF_RUNTIME,
  ManagedFlinkApplication,
  type ManagedFlinkApplicationProps,
} from '../../../lib/infra/constructs/managed-flink.js';
import { ManagedFlinkKinesisFeed } from '../../../lib/infra/constructs/managed-flink-kinesis-feed.js';
import {
  nagFindings,
  resourcesOf,
  synthesize,
  withEnvironment,
  type IamStatement,
  type SynthesizedApp,
} from '../../support/cdk-app.js';

/** A stand-in for the shaded JAR: the templates only name its asset. */
const jarFile = join(mkdtempSync(join(tmpdir(), 'elt-msf-')), 'elt-flink-job.jar');
writeFileSync(jarFile, 'not a jar');

const env = { account: '123456789012', region: 'eu-west-1' };
const common = {
  applicationName: 'elt-test-stream',
  jarFile,
  parallelism: 2,
  parallelismPerKpu: 1,
  allowedLateness: Duration.seconds(60),
  checkpointInterval: Duration.seconds(30),
  logRetention: logs.RetentionDays.ONE_MONTH,
};

/** A stack with the Kinesis variant: the feed and the application. */
function kinesisStack(): { stack: Stack; template: Template } {
  const stack = new Stack(new App(), 'Test', { env });
  const bus = new events.EventBus(stack, 'Bus');
  const feed = new ManagedFlinkKinesisFeed(stack, 'Feed', {
    bus,
    shardCount: 1,
    retryAttempts: 3,
    maxEventAge: Duration.hours(1),
  });
  new ManagedFlinkApplication(stack, 'Stream', {
    ...common,
    source: { kind: 'kinesis', stream: feed.stream, resultsStream: feed.resultsStream },
  });
  return { stack, template: Template.fromStack(stack) };
}

/** A stack with the Kafka variant, on a cluster and VPC of its own. */
function kafkaStack(): { stack: Stack; template: Template } {
  const stack = new Stack(new App(), 'Test', { env });
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 0,
    subnetConfiguration: [{ name: 'isolated', subnetType: ec2.SubnetType.PRIVATE_ISOLATED }],
  });
  const securityGroup = new ec2.SecurityGroup(stack, 'KafkaGroup', { vpc, allowAllOutbound: false });
  new ManagedFlinkApplication(stack, 'Stream', {
    ...common,
    source: {
      kind: 'msk',
      cluster: {
        clusterArn: 'arn:aws:kafka:eu-west-1:123456789012:cluster/elt-test-kafka/abcd-1234',
        clusterName: 'elt-test-kafka',
      },
      vpc,
      securityGroup,
      sourceTopic: 'elt-events',
      resultsTopic: 'elt-events-stream-results',
      groupId: 'elt-test-stream',
      transactionalIdPrefix: 'elt-test-stream',
    },
  });
  return { stack, template: Template.fromStack(stack) };
}

/** The statements of the application role's policy, as [actions, resource] pairs. */
function roleStatements(template: Template): [string[], unknown][] {
  const role = Object.keys(
    template.findResources('AWS::IAM::Role', {
      Properties: { Description: Match.stringLikeRegexp('^Runs the live-windows Flink SQL job') },
    }),
  );
  expect(role).toHaveLength(1);
  const policies = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).filter(
    (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role[0] }]),
  );
  expect(policies).toHaveLength(1);
  return (policies[0]!.Properties.PolicyDocument as { Statement: IamStatement[] }).Statement.map((s) => [
    ([] as string[]).concat(s.Action).sort(),
    s.Resource,
  ]);
}

const join_ = (...parts: unknown[]) => ({ 'Fn::Join': ['', parts] });
const partition = { Ref: 'AWS::Partition' };

describe('ManagedFlinkApplication', () => {
  it('refuses a missing JAR and names the Maven command that builds it', () => {
    const stack = new Stack(new App(), 'Test', { env });
    const bus = new events.EventBus(stack, 'Bus');
    const feed = new ManagedFlinkKinesisFeed(stack, 'Feed', {
      bus,
      shardCount: 1,
      retryAttempts: 3,
      maxEventAge: Duration.hours(1),
    });
    const props: ManagedFlinkApplicationProps = {
      ...common,
      jarFile: '/nonexistent/elt-flink-job.jar',
      source: { kind: 'kinesis', stream: feed.stream, resultsStream: feed.resultsStream },
    };
    expect(() => new ManagedFlinkApplication(stack, 'Stream', props)).toThrow(FlinkJobJarMissingError);
    expect(() => new ManagedFlinkApplication(stack, 'Stream2', props)).toThrow(
      /mvn -q -B -f scripts\/services\/flink\/job\/pom\.xml package/,
    );
  });

  it('refuses parallelism out of range, per-KPU parallelism over 8 and checkpoints under a second', () => {
    const make = (over: Partial<ManagedFlinkApplicationProps>) => () => {
      const stack = new Stack(new App(), 'Test', { env });
      const bus = new events.EventBus(stack, 'Bus');
      const feed = new ManagedFlinkKinesisFeed(stack, 'Feed', {
        bus,
        shardCount: 1,
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      });
      new ManagedFlinkApplication(stack, 'Stream', {
        ...common,
        source: { kind: 'kinesis', stream: feed.stream, resultsStream: feed.resultsStream },
        ...over,
      });
    };
    expect(make({ parallelism: 0 })).toThrow(/parallelism must be an integer from 1 to 64, got 0/);
    expect(make({ parallelismPerKpu: 9 })).toThrow(/parallelismPerKpu must be an integer from 1 to 8, got 9/);
    expect(make({ checkpointInterval: Duration.millis(500) })).toThrow(
      /checkpointInterval must be at least 1 second/,
    );
    expect(make({ applicationName: 'no spaces' })).toThrow(/applicationName must be 1–128/);
  });

  it('deploys the JAR on the newest MSF runtime with exactly-once checkpoints, fixed parallelism, task metrics and INFO logs', () => {
    const { template } = kinesisStack();
    expect(MSF_RUNTIME).toBe('FLINK-2_3');
    template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      ApplicationName: 'elt-test-stream',
      RuntimeEnvironment: 'FLINK-2_3',
      ApplicationMode: 'STREAMING',
      ApplicationConfiguration: {
        ApplicationCodeConfiguration: {
          CodeContentType: 'ZIPFILE',
          CodeContent: { S3ContentLocation: { FileKey: Match.stringLikeRegexp('\\.jar$') } },
        },
        FlinkApplicationConfiguration: {
          CheckpointConfiguration: {
            ConfigurationType: 'CUSTOM',
            CheckpointingEnabled: true,
            CheckpointInterval: 30_000,
            MinPauseBetweenCheckpoints: 5000,
          },
          MonitoringConfiguration: { ConfigurationType: 'CUSTOM', LogLevel: 'INFO', MetricsLevel: 'TASK' },
          ParallelismConfiguration: {
            ConfigurationType: 'CUSTOM',
            Parallelism: 2,
            ParallelismPerKPU: 1,
            AutoScalingEnabled: false,
          },
        },
        ApplicationSnapshotConfiguration: { SnapshotsEnabled: true },
        VpcConfigurations: Match.absent(),
      },
    });
    template.hasResourceProperties('AWS::KinesisAnalyticsV2::ApplicationCloudWatchLoggingOption', {
      ApplicationName: 'elt-test-stream',
      CloudWatchLoggingOption: {
        LogStreamARN: join_(
          'arn:',
          partition,
          ':logs:eu-west-1:123456789012:log-group:',
          { Ref: Match.stringLikeRegexp('^StreamLogs') },
          ':log-stream:',
          { Ref: Match.stringLikeRegexp('^StreamLogStream') },
        ),
      },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });

  it('gives the Kinesis variant its placeholders and a role that reads one stream, writes the other, the JAR and its log stream only', () => {
    const { template } = kinesisStack();
    const streamArn = (id: string) => ({ 'Fn::GetAtt': [Match.stringLikeRegexp(`^Feed${id}`), 'Arn'] });
    template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      ApplicationConfiguration: {
        EnvironmentProperties: {
          PropertyGroups: [
            {
              PropertyGroupId: 'elt.stream',
              PropertyMap: {
                connector: 'kinesis',
                allowed_lateness_seconds: '60',
                idle_timeout_seconds: '30',
                region: 'eu-west-1',
                source_stream_arn: streamArn('Events'),
                results_stream_arn: streamArn('Results'),
              },
            },
          ],
        },
      },
    });
    const statements = roleStatements(template);
    expect(statements.map(([actions]) => actions)).toEqual([
      ['s3:GetObject', 's3:GetObjectVersion'],
      ['logs:DescribeLogGroups'],
      ['logs:DescribeLogStreams'],
      ['logs:PutLogEvents'],
      [
        'kinesis:DescribeStream',
        'kinesis:DescribeStreamConsumer',
        'kinesis:DescribeStreamSummary',
        'kinesis:GetRecords',
        'kinesis:GetShardIterator',
        'kinesis:ListShards',
        'kinesis:ListStreams',
        'kinesis:SubscribeToShard',
      ],
      ['kinesis:ListShards', 'kinesis:PutRecord', 'kinesis:PutRecords'],
    ]);
    const resources = statements.map(([, r]) => r);
    expect(resources[0]).toEqual(
      join_(
        'arn:',
        partition,
        expect.stringMatching(/^:s3:::cdk-[a-z0-9]+-assets-123456789012-eu-west-1\/[0-9a-f]{64}\.jar$/),
      ),
    );
    expect(resources[1]).toEqual(join_('arn:', partition, ':logs:eu-west-1:123456789012:log-group:*'));
    expect(resources[2]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^StreamLogs/), 'Arn'] });
    expect(resources[4]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FeedEvents/), 'Arn'] });
    expect(resources[5]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FeedResults/), 'Arn'] });
    expect(resources).not.toContain('*');
    // Only MSF, for this application of this account, may assume the role.
    template.hasResourceProperties('AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('^Runs the live-windows'),
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'kinesisanalytics.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '123456789012' },
              ArnLike: {
                'aws:SourceArn': join_(
                  'arn:',
                  partition,
                  ':kinesisanalytics:eu-west-1:123456789012:application/elt-test-stream',
                ),
              },
            },
          },
        ],
      },
    });
  });

  it('gives the Kafka variant the cluster VPC, IAM auth on the exact topics, group and transactional ids, and brokers looked up at deploy time', () => {
    const { template } = kafkaStack();
    template.hasResourceProperties('AWS::KinesisAnalyticsV2::Application', {
      ApplicationConfiguration: {
        EnvironmentProperties: {
          PropertyGroups: [
            {
              PropertyGroupId: 'elt.stream',
              PropertyMap: Match.objectLike({
                connector: 'kafka',
                kafka_auth: 'msk-iam',
                source_topic: 'elt-events',
                results_topic: 'elt-events-stream-results',
                group_id: 'elt-test-stream',
                transactional_id_prefix: 'elt-test-stream',
                bootstrap_servers: {
                  'Fn::GetAtt': [
                    Match.stringLikeRegexp('^StreamBootstrapBrokers'),
                    'BootstrapBrokerStringSaslIam',
                  ],
                },
              }),
            },
          ],
        },
        VpcConfigurations: [
          {
            SubnetIds: [
              { Ref: Match.stringLikeRegexp('^VpcisolatedSubnet1') },
              { Ref: Match.stringLikeRegexp('^VpcisolatedSubnet2') },
            ],
            SecurityGroupIds: [{ 'Fn::GetAtt': [Match.stringLikeRegexp('^KafkaGroup'), 'GroupId'] }],
          },
        ],
      },
    });
    const kafka = (rest: string) => join_('arn:', partition, `:kafka:eu-west-1:123456789012:${rest}`);
    const cluster = 'arn:aws:kafka:eu-west-1:123456789012:cluster/elt-test-kafka/abcd-1234';
    const statements = roleStatements(template).slice(4);
    expect(statements).toEqual([
      [
        ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'],
        cluster,
      ],
      [['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'], kafka('topic/elt-test-kafka/*/elt-events')],
      [
        ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        kafka('topic/elt-test-kafka/*/elt-events-stream-results'),
      ],
      [
        ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
        kafka('group/elt-test-kafka/*/elt-test-stream'),
      ],
      [
        ['kafka-cluster:AlterTransactionalId', 'kafka-cluster:DescribeTransactionalId'],
        kafka('transactional-id/elt-test-kafka/*/elt-test-stream*'),
      ],
      [
        [
          'ec2:CreateNetworkInterface',
          'ec2:CreateNetworkInterfacePermission',
          'ec2:DeleteNetworkInterface',
          'ec2:DescribeDhcpOptions',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSecurityGroups',
          'ec2:DescribeSubnets',
          'ec2:DescribeVpcs',
        ],
        '*',
      ],
    ]);
    // The deploy-time lookup may call GetBootstrapBrokers on this cluster only.
    const lookup = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).find((p) =>
      JSON.stringify(p.Properties.PolicyDocument).includes('kafka:GetBootstrapBrokers'),
    );
    expect((lookup?.Properties.PolicyDocument as { Statement: IamStatement[] }).Statement).toEqual([
      { Action: 'kafka:GetBootstrapBrokers', Effect: 'Allow', Resource: cluster },
    ]);
  });

  it('passes cdk-nag in both variants, every suppression with a reason', () => {
    for (const make of [kinesisStack, kafkaStack]) {
      const { stack } = make();
      Aspects.of(stack).add(new AwsSolutionsChecks());
      // The test stacks' own bus, VPC and security group are not the construct's; only its findings count.
      expect(
        nagFindings(stack).filter((f) => f.startsWith('/Test/Stream') || f.startsWith('/Test/Feed')),
      ).toEqual([]);
    }
  });
});

describe('ManagedFlinkKinesisFeed', () => {
  it('sends marketplace.* events (never elt.*) to an encrypted provisioned stream, with a dead-letter queue', () => {
    const { template } = kinesisStack();
    template.resourceCountIs('AWS::Kinesis::Stream', 2);
    template.allResourcesProperties('AWS::Kinesis::Stream', {
      ShardCount: 1,
      RetentionPeriodHours: 24,
      StreamModeDetails: { StreamMode: 'PROVISIONED' },
      StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { source: [{ prefix: 'marketplace.' }] },
      Targets: [
        Match.objectLike({
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FeedEvents'), 'Arn'] },
          KinesisParameters: { PartitionKeyPath: '$.id' },
          RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
          DeadLetterConfig: {
            Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FeedDeadLetterQueue'), 'Arn'] },
          },
        }),
      ],
    });
  });

  it("puts the job's results back on the bus with their own source, detail-type, time and detail, with a role that reads one stream and puts on one bus", () => {
    const { template } = kinesisStack();
    template.hasResourceProperties('AWS::Pipes::Pipe', {
      Source: { 'Fn::GetAtt': [Match.stringLikeRegexp('^FeedResults'), 'Arn'] },
      SourceParameters: { KinesisStreamParameters: Match.objectLike({ StartingPosition: 'TRIM_HORIZON' }) },
      Target: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] },
      TargetParameters: {
        EventBridgeEventBusParameters: {
          Source: '$.data.source',
          DetailType: '$.data.detail-type',
          Time: '$.data.time',
        },
        InputTemplate: '<$.data.detail>',
      },
    });
    const role = Object.keys(
      template.findResources('AWS::IAM::Role', {
        Properties: { Description: Match.stringLikeRegexp("^Puts the stream job's results") },
      }),
    )[0];
    const policy = Object.values(resourcesOf(template, 'AWS::IAM::Policy')).find(
      (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]),
    );
    const statements = (policy?.Properties.PolicyDocument as { Statement: IamStatement[] }).Statement;
    expect(statements.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^FeedResults/), 'Arn'] },
      { 'Fn::GetAtt': [expect.stringMatching(/^Bus/), 'Arn'] },
    ]);
    expect(statements[1]?.Action).toBe('events:PutEvents');
  });
});

describe('the stream job in the stacks (stream.enabled)', () => {
  let eventbridge: SynthesizedApp;
  let msk: SynthesizedApp;
  beforeAll(() => {
    eventbridge = synthesize({
      ...withEnvironment('dev', { stream: { enabled: true } }),
      streamJobJar: jarFile,
    });
    msk = synthesize({
      ...withEnvironment('dev', {
        stream: { enabled: true, lagAlarmRecords: 5000 },
        kafka: { mode: 'msk-serverless', topic: 'elt-events' },
      }),
      streamJobJar: jarFile,
    });
  });

  it('is not built by default', () => {
    const plain = synthesize();
    plain.statelessTemplate.resourceCountIs('AWS::KinesisAnalyticsV2::Application', 0);
    plain.statelessTemplate.resourceCountIs('AWS::Kinesis::Stream', 0);
  });

  it('alarms on backpressure of any task and on how far behind its source the job is', () => {
    for (const [app, metric, threshold] of [
      [eventbridge, 'millisBehindLatest', 300_000],
      [msk, 'records_lag_max', 5000],
    ] as const) {
      const t = app.statelessTemplate;
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmDescription: Match.stringLikeRegexp(
          '^A task of the stream job was back-pressured more than 500 ms',
        ),
        Metrics: [
          Match.objectLike({
            Expression: `SELECT MAX(backPressuredTimeMsPerSecond) FROM "AWS/KinesisAnalytics" WHERE Application = 'elt-dev-stream'`,
            Period: 300,
          }),
        ],
        Threshold: 500,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/KinesisAnalytics',
        MetricName: metric,
        Dimensions: [{ Name: 'Application', Value: 'elt-dev-stream' }],
        Statistic: 'Maximum',
        Threshold: threshold,
      });
    }
  });

  it('lands the Kafka results topic with a second mapping of the Kafka landing function and a group of its own', () => {
    const t = msk.statelessTemplate;
    t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: ['elt-events-stream-results'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'elt-dev-landing-stream-results' },
      StartingPosition: 'TRIM_HORIZON',
    });
    t.resourceCountIs('AWS::Kinesis::Stream', 0);
  });

  it('passes cdk-nag with the stream job in both variants', () => {
    for (const app of [eventbridge, msk]) {
      for (const which of ['stateful', 'stateless'] as const) expect(nagFindings(app[which])).toEqual([]);
    }
  });

  it('refuses stream.enabled where MSF cannot run it', () => {
    expect(() =>
      parseConfig('dev', {
        account: '123456789012',
        region: 'eu-west-1',
        target: 'localstack',
        stream: { enabled: true },
      }),
    ).toThrow(/stream\.enabled cannot be true with target "localstack"/);
    expect(() =>
      parseConfig('dev', {
        account: '123456789012',
        region: 'eu-west-1',
        stream: { enabled: true },
        kafka: {
          mode: 'self-managed',
          topic: 'elt-events',
          bootstrapServers: ['b-1.example.com:9096'],
          secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_elt-AbCdEf',
        },
      }),
    ).toThrow(/stream\.enabled cannot be true with kafka\.mode "self-managed"/);
    expect(() =>
      parseConfig('dev', { account: '123456789012', region: 'eu-west-1', stream: { parallelismPerKpu: 9 } }),
    ).toThrow(/stream\.parallelismPerKpu/);
  });
});
