import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { RPU_HOUR_USD_ESTIMATE } from '../../lib/infra/stateless-stack.js';
import { packageRoot } from '../../lib/package-paths.js';
import { RULES } from '../../lib/core/rules.js';
import { ELT_RUN_LOCK_TTL_MS } from '../../lib/core/elt/elt-steps.js';
import { synthesize, withEnvironment, type SynthesizedApp } from '../support/cdk-app.js';

type Resources = Record<
  string,
  { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string }
>;

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
});

const resourcesOf = (template: SynthesizedApp['statefulTemplate'], type: string): Resources =>
  template.findResources(type) as Resources;
const only = <T>(record: Record<string, T>): T => {
  const values = Object.values(record);
  expect(values).toHaveLength(1);
  return values[0]!;
};
/** The logical id of the one resource of a type whose properties match. */
const logicalId = (
  template: SynthesizedApp['statefulTemplate'],
  type: string,
  props: Record<string, unknown> = {},
): string => {
  const ids = Object.keys(template.findResources(type, { Properties: props }));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

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

  it('archives every event of the bus for the configured retention', () => {
    s.statefulTemplate.hasResourceProperties('AWS::Events::Archive', {
      EventPattern: { account: ['123456789012'] },
      RetentionDays: 7,
      SourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventBus'), 'Arn'] },
    });
  });
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

describe('stateful stack: Redshift Serverless', () => {
  it('has Redshift manage the admin password in Secrets Manager: no password in the template', () => {
    const ns = only(resourcesOf(s.statefulTemplate, 'AWS::RedshiftServerless::Namespace'));
    expect(ns.Properties).toMatchObject({
      ManageAdminPassword: true,
      AdminUsername: 'elt_admin',
      DbName: 'analytics',
    });
    expect(ns.Properties.AdminUserPassword).toBeUndefined();
  });

  it('runs the workgroup private, with enhanced VPC routing, base capacity from config, in three subnets', () => {
    const wg = only(resourcesOf(s.statefulTemplate, 'AWS::RedshiftServerless::Workgroup'));
    expect(wg.Properties).toMatchObject({
      BaseCapacity: 8,
      PubliclyAccessible: false,
      EnhancedVpcRouting: true,
    });
    expect(wg.Properties.SubnetIds).toHaveLength(3);
    expect(
      synthesize({ env: 'prod' }).statefulTemplate.findResources('AWS::RedshiftServerless::Workgroup', {
        Properties: { BaseCapacity: 32 },
      }),
    ).not.toEqual({});
  });

  it('caps the workgroup at maxCapacityRpu (4 × base by default, from config)', () => {
    const wg = only(resourcesOf(s.statefulTemplate, 'AWS::RedshiftServerless::Workgroup'));
    expect(wg.Properties).toMatchObject({ BaseCapacity: 8, MaxCapacity: 32 });
    const capped = synthesize(
      withEnvironment('dev', { warehouse: { baseCapacityRpu: 8, maxCapacityRpu: 16 } }),
    );
    expect(
      only(resourcesOf(capped.statefulTemplate, 'AWS::RedshiftServerless::Workgroup')).Properties.MaxCapacity,
    ).toBe(16);
  });

  it('places the three subnets by AvailabilityZoneId (the same zones in every account), never by AZ name', () => {
    const subnets = Object.values(resourcesOf(s.statefulTemplate, 'AWS::EC2::Subnet')).map(
      (r) => r.Properties,
    );
    expect(subnets.map((p) => p.AvailabilityZoneId)).toEqual(['euw1-az1', 'euw1-az2', 'euw1-az3']);
    for (const p of subnets) expect(p).not.toHaveProperty('AvailabilityZone');
    // Configured AZ names still give AvailabilityZone, as before.
    const named = synthesize(
      withEnvironment('dev', {
        warehouse: { availabilityZones: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] },
      }),
    );
    const namedSubnets = Object.values(resourcesOf(named.statefulTemplate, 'AWS::EC2::Subnet')).map(
      (r) => r.Properties,
    );
    expect(namedSubnets.map((p) => p.AvailabilityZone)).toEqual(['eu-west-1a', 'eu-west-1b', 'eu-west-1c']);
    for (const p of namedSubnets) expect(p).not.toHaveProperty('AvailabilityZoneId');
  });

  it('puts the VPC in isolated subnets with an S3 gateway endpoint and flow logs', () => {
    s.statefulTemplate.resourceCountIs('AWS::EC2::NatGateway', 0);
    s.statefulTemplate.resourceCountIs('AWS::EC2::InternetGateway', 0);
    s.statefulTemplate.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({}),
    });
    s.statefulTemplate.hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'ALL',
      LogDestinationType: 'cloud-watch-logs',
    });
  });

  it('limits the COPY role to reading raw/ and manifests/', () => {
    const policies = Object.values(resourcesOf(s.statefulTemplate, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('CopyRole'),
    );
    const statements = policies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    expect(statements.map((st) => st.Action)).toEqual([
      's3:GetObject',
      's3:ListBucket',
      's3:GetBucketLocation',
    ]);
    const readable = JSON.stringify(statements[0]!.Resource);
    expect(readable).toContain('/raw/*');
    expect(readable).toContain('/manifests/*');
    expect(readable.match(/\/\*"/g)).toHaveLength(2);
    expect(statements[1]!.Condition).toEqual({ StringLike: { 's3:prefix': ['raw/*', 'manifests/*'] } });
  });

  it('grants the COPY role GetBucketLocation on the bucket without an s3:prefix condition (its requests carry none)', () => {
    const bucket = logicalId(s.statefulTemplate, 'AWS::S3::Bucket', {
      VersioningConfiguration: Match.anyValue(),
    });
    s.statefulTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyName: Match.stringLikeRegexp('^WarehouseCopyRole'),
      PolicyDocument: {
        Statement: Match.arrayWith([
          { Action: 's3:GetBucketLocation', Effect: 'Allow', Resource: { 'Fn::GetAtt': [bucket, 'Arn'] } },
        ]),
      },
    });
  });
});

describe('stateless stack: landing', () => {
  it('runs the landing function on nodejs22.x, arm64, with JSON logs into its own log group', () => {
    s.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      MemorySize: 1024,
      Timeout: 60,
      LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: Match.stringLikeRegexp('^LandingLogs') } },
      Environment: {
        Variables: Match.objectLike({ RAW_BUCKET: Match.anyValue(), POWERTOOLS_SERVICE_NAME: 'elt-landing' }),
      },
    });
    s.statelessTemplate.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
  });

  it('tells the landing function how late an event may land and still go under its own partition (elt.latenessHours)', () => {
    s.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'elt-landing', ELT_LATENESS_HOURS: '72' }),
      },
    });
    const late = synthesize(withEnvironment('dev', { elt: { latenessHours: 6 } }));
    late.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: 'elt-landing', ELT_LATENESS_HOURS: '6' }),
      },
    });
  });

  it('every function of the pipeline uses the same runtime and architecture', () => {
    const fns = Object.values(resourcesOf(s.statelessTemplate, 'AWS::Lambda::Function'));
    expect(fns.length).toBe(8);
    for (const f of fns)
      expect([f.Properties.Runtime, f.Properties.Architectures]).toEqual(['nodejs22.x', ['arm64']]);
  });

  it('consumes the landing queue with the configured batching, partial batch responses and concurrency cap', () => {
    s.statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 1000,
      MaximumBatchingWindowInSeconds: 30,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 5 },
    });
  });

  it('lets landing put objects under raw/ and quarantine/ and do nothing else in the bucket', () => {
    const landingPolicies = Object.values(resourcesOf(s.statelessTemplate, 'AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p.Properties.Roles).includes('LandingRole'),
    );
    const statements = landingPolicies.flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Record<string, unknown>[] }).Statement,
    );
    const s3 = statements.filter((st) => JSON.stringify(st.Action).includes('s3:'));
    expect(s3).toHaveLength(1);
    expect(s3[0]!.Action).toBe('s3:PutObject');
    const resources = JSON.stringify(s3[0]!.Resource);
    expect(resources).toContain('/raw/*');
    expect(resources).toContain('/quarantine/*');
    expect(resources.match(/\/\*"/g)).toHaveLength(2);
  });

  it('has no IAM statement on Resource "*" except actions that have no resource ARNs', () => {
    const allowedOnStar = new Set([
      'redshift-data:DescribeStatement',
      'redshift-data:GetStatementResult',
      'redshift-data:CancelStatement',
      'redshift-data:ListStatements',
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]);
    for (const template of [s.statefulTemplate, s.statelessTemplate]) {
      for (const policy of Object.values(resourcesOf(template, 'AWS::IAM::Policy'))) {
        for (const st of (policy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
          .Statement) {
          if (st.Resource !== '*') continue;
          for (const action of [st.Action].flat() as string[])
            expect(allowedOnStar, action).toContain(action);
          if (JSON.stringify(st.Action).includes('redshift-data')) {
            expect(st.Condition).toEqual({
              StringLike: {
                'redshift-data:statement-owner-iam-userid': {
                  'Fn::Join': [
                    '',
                    [{ 'Fn::GetAtt': [expect.stringMatching(/^EltRunnerRole/), 'RoleId'] }, ':*'],
                  ],
                },
              },
            });
          }
        }
      }
    }
  });
});

describe('stateless stack: ELT orchestration', () => {
  const definition = (): string => {
    const sm = only(resourcesOf(s.statelessTemplate, 'AWS::StepFunctions::StateMachine'));
    return JSON.stringify(sm.Properties.DefinitionString);
  };

  it('runs plan → load → transform → test → publish, with a failure path that publishes EltRunFailed', () => {
    const d = definition();
    for (const state of [
      'Run-plan',
      'AnythingNew',
      'NothingNew',
      'AnythingToLoad',
      'Run-load',
      'Run-transform',
      'Run-test',
      'TestsPassed',
      'Run-publish',
      'PublishRunSucceeded',
      'Run-fail',
      'PublishRunFailed',
      'RunFailed',
    ]) {
      expect(d).toContain(`\\"${state}\\"`);
    }
    expect(d).toContain(':states:::events:putEvents');
    expect(d).toContain('\\"Source\\":\\"elt.pipeline\\"');
    expect(d).toContain('\\"DetailType\\":\\"EltRunSucceeded\\"');
    expect(d).toContain('\\"DetailType\\":\\"EltRunFailed\\"');
    expect(d).toContain('\\"ErrorEquals\\":[\\"States.ALL\\"]');
  });

  it('stops a run whose plan found the run lock held (AnotherRunInProgress), within the 1 h timeout the lock outlives', () => {
    const d = definition();
    expect(d).toContain(
      '{\\"Variable\\":\\"$.run.lockedBy\\",\\"IsPresent\\":true,\\"Next\\":\\"AnotherRunInProgress\\"}',
    );
    expect(d).toContain('\\"AnotherRunInProgress\\":{\\"Type\\":\\"Succeed\\"}');
    expect(d).toContain('\\"TimeoutSeconds\\":3600');
    expect(ELT_RUN_LOCK_TTL_MS).toBe(3600_000 + 300_000);
  });

  /** The state machine definition as JSON, its Fn::Join parts joined and tokens replaced by "<token>". */
  type StateDef = {
    Type: string;
    Next?: string;
    Default?: string;
    Choices?: Record<string, unknown>[];
    Catch?: { ErrorEquals: string[]; Next: string }[];
  };
  const definitionJson = (
    t: SynthesizedApp['statelessTemplate'],
  ): { StartAt: string; States: Record<string, StateDef> } => {
    const sm = only(resourcesOf(t, 'AWS::StepFunctions::StateMachine'));
    const ds = sm.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
    const text =
      typeof ds === 'string'
        ? ds
        : ds['Fn::Join'][1]
            .map((part) => (typeof part === 'string' ? part : '<token>'))
            .join(ds['Fn::Join'][0]);
    return JSON.parse(text) as { StartAt: string; States: Record<string, StateDef> };
  };

  it('runs load again until it reports loadComplete, then transform again until transformComplete, then test', () => {
    const { States: states } = definitionJson(s.statelessTemplate);
    const notComplete = (flag: string) => ({
      And: [
        { Variable: `$.run.${flag}`, IsPresent: true },
        { Variable: `$.run.${flag}`, BooleanEquals: false },
      ],
    });
    expect(states['Run-load']!.Next).toBe('LoadComplete');
    expect(states.LoadComplete).toEqual({
      Type: 'Choice',
      Choices: [{ ...notComplete('loadComplete'), Next: 'Run-load' }],
      Default: 'Run-transform',
    });
    expect(states['Run-transform']!.Next).toBe('TransformComplete');
    expect(states.TransformComplete).toEqual({
      Type: 'Choice',
      Choices: [{ ...notComplete('transformComplete'), Next: 'Run-transform' }],
      Default: 'Run-test',
    });
    expect(states['Run-test']!.Next).toBe('TestsPassed');
    // The choices before them and the failure path stay as they were.
    expect(states.AnythingToLoad).toMatchObject({
      Choices: [{ Variable: '$.run.pendingObjects', NumericGreaterThan: 0, Next: 'Run-load' }],
      Default: 'Run-transform',
    });
    for (const step of ['Run-plan', 'Run-load', 'Run-transform', 'Run-test', 'Run-publish'])
      expect(states[step]!.Catch, step).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Run-fail' },
      ]);
  });

  it('gives every ELT step the lateness and run size, and readers only when some are configured', () => {
    const steps = (t: SynthesizedApp['statelessTemplate']) =>
      Object.values(resourcesOf(t, 'AWS::Lambda::Function'))
        .filter((f) => String(f.Properties.Description).startsWith('ELT: '))
        .map((f) => (f.Properties.Environment as { Variables: Record<string, unknown> }).Variables);
    expect(steps(s.statelessTemplate)).toHaveLength(6);
    for (const env of steps(s.statelessTemplate)) {
      expect(env).toMatchObject({ ELT_LATENESS_HOURS: '72', ELT_MAX_OBJECTS_PER_RUN: '20000' });
      expect(env).not.toHaveProperty('ELT_READERS');
    }
    const readers = { users: ['analyst'], roles: ['bi_reader'] };
    const configured = synthesize(
      withEnvironment('dev', {
        warehouse: { baseCapacityRpu: 8, readers },
        elt: { latenessHours: 24, maxObjectsPerRun: 5000 },
      }),
    );
    for (const env of steps(configured.statelessTemplate)) {
      expect(env).toMatchObject({
        ELT_LATENESS_HOURS: '24',
        ELT_MAX_OBJECTS_PER_RUN: '5000',
        ELT_READERS: JSON.stringify(readers),
      });
    }
  });

  it('lets the ELT runner read and write its watermark under state/ of the raw bucket', () => {
    const runnerPolicy = only(
      s.statelessTemplate.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp('^EltRunnerRole') }] },
      }) as Resources,
    );
    const statements = (runnerPolicy.Properties.PolicyDocument as { Statement: Record<string, unknown>[] })
      .Statement;
    const objects = statements.find(
      (st) => JSON.stringify(st.Action) === JSON.stringify(['s3:GetObject', 's3:PutObject']),
    );
    const resources = JSON.stringify(objects?.Resource);
    expect(resources).toContain('"/state/*"');
    expect(resources).toContain('"/manifests/*"');
    expect(resources.match(/\/\*"/g)).toHaveLength(2);
  });

  it("lets the runner describe, fetch, list and cancel statements of any session of its own role, and no one else's", () => {
    const runner = logicalId(s.statelessTemplate, 'AWS::IAM::Role', {
      RoleName: 'elt-dev-eu-west-1-elt-runner',
    });
    s.statelessTemplate.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: runner }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: [
              'redshift-data:CancelStatement',
              'redshift-data:DescribeStatement',
              'redshift-data:GetStatementResult',
              'redshift-data:ListStatements',
            ],
            Effect: 'Allow',
            Resource: '*',
            Condition: {
              StringLike: {
                'redshift-data:statement-owner-iam-userid': {
                  'Fn::Join': ['', [{ 'Fn::GetAtt': [runner, 'RoleId'] }, ':*']],
                },
              },
            },
          },
        ]),
      },
    });
  });

  it('logs every state transition and traces with X-Ray', () => {
    s.statelessTemplate.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('is started hourly by EventBridge Scheduler with a role that can start only this state machine', () => {
    s.statelessTemplate.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 hour)',
      ScheduleExpressionTimezone: 'UTC',
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp('^EltStateMachine') },
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
      }),
    });
    s.statelessTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Action: 'states:StartExecution',
            Effect: 'Allow',
            Resource: { Ref: Match.stringLikeRegexp('^EltStateMachine') },
          },
        ],
      },
    });
  });

  it('runs every ELT step as one named role, so one Redshift database user owns every pipeline table', () => {
    const roleOf = (f: { Properties: Record<string, unknown> }): string =>
      (f.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const steps = Object.values(resourcesOf(s.statelessTemplate, 'AWS::Lambda::Function')).filter((f) =>
      String(f.Properties.Description).startsWith('ELT: '),
    );
    expect(steps).toHaveLength(6);
    expect(new Set(steps.map(roleOf)).size).toBe(1);
    const role = s.statelessTemplate.findResources('AWS::IAM::Role')[roleOf(steps[0]!)] as {
      Properties: Record<string, unknown>;
    };
    expect(role.Properties.RoleName).toBe('elt-dev-eu-west-1-elt-runner');
    s.statelessTemplate.hasOutput('WarehouseRunnerUser', {
      Value: { 'Fn::Join': ['', ['IAMR:', { Ref: roleOf(steps[0]!) }]] },
    });
  });

  it('gives the ELT steps the Data API on the workgroup only, with IAM authentication', () => {
    s.statelessTemplate.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          {
            Action: [
              'redshift-data:BatchExecuteStatement',
              'redshift-data:ExecuteStatement',
              'redshift-serverless:GetCredentials',
            ],
            Effect: 'Allow',
            Resource: { 'Fn::ImportValue': Match.stringLikeRegexp('WarehouseWorkgroup') },
          },
        ]),
      },
    });
  });
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

describe('invalid config fails synthesis naming the setting', () => {
  it.each([
    [{ account: 'abc' }, 'account must be a 12-digit AWS account id'],
    [{ env: 'nope' }, 'env names no block'],
  ])('%j', (context, message) => {
    expect(() => synthesize(context)).toThrow(message);
  });
});

describe('the local environment (target localstack)', () => {
  let local: SynthesizedApp;
  beforeAll(() => {
    local = synthesize({ env: 'local', account: '000000000000', region: 'us-east-1' });
  });

  it('keeps the bus, its rules, the landing queue with its DLQ and the raw bucket', () => {
    const t = local.statefulTemplate;
    t.resourceCountIs('AWS::Events::EventBus', 1);
    t.resourceCountIs('AWS::Events::Rule', RULES.length);
    t.resourceCountIs('AWS::SQS::Queue', 3);
    t.hasResourceProperties('AWS::SQS::Queue', {
      RedrivePolicy: Match.objectLike({ maxReceiveCount: local.config.landing.maxReceiveCount }),
    });
    t.hasResourceProperties('AWS::S3::Bucket', { VersioningConfiguration: { Status: 'Enabled' } });
    expect(Object.keys(t.toJSON().Outputs)).toEqual(
      expect.arrayContaining(['BusName', 'RawBucketName', 'LandingQueueUrl', 'LandingDeadLetterQueueUrl']),
    );
  });

  it('leaves out what LocalStack cannot run: Redshift Serverless, the ELT workflow, the event source mapping', () => {
    const stateful = JSON.stringify(local.statefulTemplate.toJSON());
    const stateless = JSON.stringify(local.statelessTemplate.toJSON());
    expect(stateful).not.toMatch(/AWS::RedshiftServerless|AWS::EC2::VPC/);
    expect(stateless).not.toMatch(
      /AWS::Lambda::EventSourceMapping|AWS::StepFunctions|AWS::Scheduler|AWS::CloudWatch::Alarm/,
    );
    // Nothing backed by a Lambda custom resource (LocalStack cannot run one without Docker).
    expect(stateful + stateless).not.toMatch(/Custom::|AWS::CloudFormation::CustomResource/);
  });

  it('still synthesizes the landing function, whose bundle `elt land` runs', () => {
    local.statelessTemplate.resourceCountIs('AWS::Lambda::Function', 1);
    local.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Environment: { Variables: Match.objectLike({ RAW_BUCKET: Match.anyValue() }) },
    });
  });
});

describe('the optional Kafka landing path', () => {
  const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_elt-AbCdEf';
  const EC2_ACTIONS = [
    'ec2:CreateNetworkInterface',
    'ec2:DeleteNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSecurityGroups',
    'ec2:DescribeSubnets',
    'ec2:DescribeVpcs',
  ];
  let msk: SynthesizedApp;
  let mskProvisioned: SynthesizedApp;
  let selfManaged: SynthesizedApp;
  beforeAll(() => {
    msk = synthesize(withEnvironment('dev', { kafka: { mode: 'msk-serverless', topic: 'elt-events' } }));
    mskProvisioned = synthesize(
      withEnvironment('dev', {
        kafka: {
          mode: 'msk-serverless',
          topic: 'elt-events',
          consumerGroupId: 'elt-landing-v2',
          batchSize: 500,
          batchWindowSeconds: 10,
          startingPosition: 'LATEST',
          provisionedPollers: { minimum: 1, maximum: 5 },
          retryAttempts: 2,
          lagAlarmRecords: 5000,
        },
      }),
    );
    selfManaged = synthesize(
      withEnvironment('dev', {
        kafka: {
          mode: 'self-managed',
          topic: 'elt.events',
          bootstrapServers: ['b-1.kafka.example.com:9096', 'b-2.kafka.example.com:9096'],
          secretArn: SECRET,
          authenticationMethod: 'SASL_SCRAM_256_AUTH',
        },
      }),
    );
  });

  type Template = SynthesizedApp['statefulTemplate'];
  type Statement = { Action: string | string[]; Resource: unknown; Effect: string; Condition?: unknown };
  const kafkaFunctionId = (t: Template): string =>
    logicalId(t, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Lands Kafka batches') });
  /** The failure bucket's ARN as the stateless stack imports it from the stateful one. */
  const failureBucketImport = {
    'Fn::ImportValue': expect.stringMatching(
      /^elt-dev-stateful:ExportsOutputFnGetAttKafkaFailuresBucket[0-9A-F]{8}Arn/,
    ) as unknown,
  };
  /** The Kafka event source mapping's properties, without the tags every resource gets. */
  const kafkaMapping = (t: Template): Record<string, unknown> => {
    const esm = only(
      t.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { Topics: Match.anyValue() },
      }) as Resources,
    );
    const { Tags: _tags, ...props } = esm.Properties;
    return props;
  };
  const kafkaStatements = (t: Template): Statement[] => {
    const role = logicalId(t, 'AWS::IAM::Role', {
      Description: Match.stringLikeRegexp('^Lands Kafka batches'),
    });
    const policies = Object.values(resourcesOf(t, 'AWS::IAM::Policy')).filter(
      (p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]),
    );
    expect(policies).toHaveLength(1);
    return (policies[0]!.Properties.PolicyDocument as { Statement: Statement[] }).Statement;
  };
  const arn = (resource: string) => ({
    'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:kafka:eu-west-1:123456789012:${resource}`]],
  });
  const clusterImport = {
    'Fn::ImportValue': expect.stringMatching(
      /^elt-dev-stateful:ExportsOutputFnGetAttKafkaCluster[0-9A-F]{8}Arn/,
    ),
  };

  describe('without a kafka section (the default)', () => {
    it('builds nothing Kafka: no MSK resource, mapping, function, queue, alarm or output', () => {
      for (const t of [s.statefulTemplate, s.statelessTemplate]) {
        const json = JSON.stringify(t.toJSON());
        expect(json).not.toMatch(/kafka/i);
        expect(json).not.toMatch(/AWS::MSK::/);
      }
      expect(Object.keys(resourcesOf(s.statelessTemplate, 'AWS::Lambda::EventSourceMapping'))).toHaveLength(
        1,
      );
    });

    it('only adds to the templates: every resource and output of dev is there unchanged (the dashboard gains a row)', () => {
      for (const variant of [msk, mskProvisioned, selfManaged]) {
        for (const which of ['statefulTemplate', 'statelessTemplate'] as const) {
          const before = s[which].toJSON() as {
            Resources: Record<string, unknown>;
            Outputs: Record<string, unknown>;
          };
          const after = variant[which].toJSON() as typeof before;
          for (const [id, resource] of Object.entries(before.Resources)) {
            if (id.startsWith('MonitoringDashboard')) continue;
            if (id.startsWith('RawBucketAccessLogsPolicy')) {
              // The log bucket also takes the failure bucket's access logs: a statement more, none changed.
              const statements = (r: unknown): unknown[] =>
                (r as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
                  .Statement;
              expect(statements(after.Resources[id]), id).toEqual(
                expect.arrayContaining(statements(resource)),
              );
              expect(statements(after.Resources[id]), id).toHaveLength(statements(resource).length + 1);
              continue;
            }
            expect(after.Resources[id], id).toEqual(resource);
          }
          for (const [id, output] of Object.entries(before.Outputs))
            expect(after.Outputs[id], id).toEqual(output);
        }
      }
    });
  });

  describe('MSK Serverless (stateful stack)', () => {
    it("creates the cluster with IAM access control in the warehouse VPC's isolated subnets", () => {
      const cluster = only(resourcesOf(msk.statefulTemplate, 'AWS::MSK::ServerlessCluster'));
      const workgroup = only(resourcesOf(msk.statefulTemplate, 'AWS::RedshiftServerless::Workgroup'));
      const sg = logicalId(msk.statefulTemplate, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^MSK Serverless'),
      });
      expect(cluster.Properties).toEqual({
        ClusterName: 'elt-dev-kafka',
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
        VpcConfigs: [
          { SubnetIds: workgroup.Properties.SubnetIds, SecurityGroups: [{ 'Fn::GetAtt': [sg, 'GroupId'] }] },
        ],
        Tags: { environment: 'dev', project: 'serverless-elt' },
      });
      expect(JSON.stringify(workgroup.Properties.SubnetIds)).toMatch(/WarehouseVpcwarehouseSubnet/);
      expect(JSON.stringify(msk.statefulTemplate.toJSON())).not.toMatch(/AWS::MSK::Topic/);
    });

    it("lets Kafka traffic into the cluster's security group on 9098 from that group only", () => {
      const t = msk.statefulTemplate;
      const sg = logicalId(t, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^MSK Serverless'),
      });
      const endpointSg = logicalId(t, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^Lambda and STS interface endpoints'),
      });
      const group = (id: string) => ({ 'Fn::GetAtt': [id, 'GroupId'] });
      expect(resourcesOf(t, 'AWS::EC2::SecurityGroup')[sg]!.Properties.SecurityGroupIngress).toBeUndefined();
      const rules = (type: string, id: string) =>
        Object.values(resourcesOf(t, type))
          .map((r) => r.Properties)
          .filter((p) => JSON.stringify(p.GroupId) === JSON.stringify(group(id)))
          .map(({ Description: _d, ...rule }) => rule);
      expect(rules('AWS::EC2::SecurityGroupIngress', sg)).toEqual([
        {
          GroupId: group(sg),
          IpProtocol: 'tcp',
          FromPort: 9098,
          ToPort: 9098,
          SourceSecurityGroupId: group(sg),
        },
      ]);
      expect(rules('AWS::EC2::SecurityGroupEgress', sg)).toEqual(
        expect.arrayContaining([
          {
            GroupId: group(sg),
            IpProtocol: 'tcp',
            FromPort: 9098,
            ToPort: 9098,
            DestinationSecurityGroupId: group(sg),
          },
          {
            GroupId: group(sg),
            IpProtocol: 'tcp',
            FromPort: 443,
            ToPort: 443,
            DestinationSecurityGroupId: group(endpointSg),
          },
        ]),
      );
      // HTTPS out for the on-failure bucket, through the S3 gateway endpoint: the subnets have no other
      // route out (no NAT, no internet gateway).
      expect(
        resourcesOf(t, 'AWS::EC2::SecurityGroup')[sg]!.Properties.SecurityGroupEgress as unknown[],
      ).toEqual([
        expect.objectContaining({ CidrIp: '0.0.0.0/0', IpProtocol: 'tcp', FromPort: 443, ToPort: 443 }),
      ]);
      expect(rules('AWS::EC2::SecurityGroupEgress', sg)).toHaveLength(2);
      expect(JSON.stringify(t.toJSON())).not.toMatch(/NatGateway|InternetGateway/);
      t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
        ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
        VpcEndpointType: 'Gateway',
      });
      expect(rules('AWS::EC2::SecurityGroupIngress', endpointSg)).toEqual([
        {
          GroupId: group(endpointSg),
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          SourceSecurityGroupId: group(sg),
        },
      ]);
    });

    it('gives the mapping private Lambda and STS endpoints (the VPC has no route out)', () => {
      const t = msk.statefulTemplate;
      const endpointSg = logicalId(t, 'AWS::EC2::SecurityGroup', {
        GroupDescription: Match.stringLikeRegexp('^Lambda and STS interface endpoints'),
      });
      for (const service of ['lambda', 'sts']) {
        t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
          ServiceName: `com.amazonaws.eu-west-1.${service}`,
          VpcEndpointType: 'Interface',
          PrivateDnsEnabled: true,
          SecurityGroupIds: [{ 'Fn::GetAtt': [endpointSg, 'GroupId'] }],
          SubnetIds: (
            only(resourcesOf(t, 'AWS::MSK::ServerlessCluster')).Properties.VpcConfigs as {
              SubnetIds: unknown;
            }[]
          )[0]!.SubnetIds,
        });
      }
    });

    it('outputs the cluster ARN and the topic', () => {
      const cluster = logicalId(msk.statefulTemplate, 'AWS::MSK::ServerlessCluster');
      msk.statefulTemplate.hasOutput('KafkaClusterArn', { Value: { 'Fn::GetAtt': [cluster, 'Arn'] } });
      msk.statefulTemplate.hasOutput('KafkaTopic', { Value: 'elt-events' });
    });
  });

  describe('the Kafka landing function (stateless stack)', () => {
    it('runs land-kafka on nodejs22.x arm64 with its own log group, the raw bucket and the lateness bound', () => {
      for (const t of [msk.statelessTemplate, selfManaged.statelessTemplate]) {
        t.hasResourceProperties('AWS::Lambda::Function', {
          Description: 'Lands Kafka batches of bus events as gzip NDJSON in the raw bucket',
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          Handler: 'index.handler',
          MemorySize: 1024,
          Timeout: 60,
          LoggingConfig: {
            LogFormat: 'JSON',
            LogGroup: { Ref: Match.stringLikeRegexp('^KafkaLandingFunctionLogs') },
          },
          Environment: {
            Variables: Match.objectLike({
              RAW_BUCKET: { 'Fn::ImportValue': Match.stringLikeRegexp('RawBucket') },
              POWERTOOLS_SERVICE_NAME: 'elt-landing-kafka',
              ELT_LATENESS_HOURS: '72',
            }),
          },
        });
        const fns = Object.values(resourcesOf(t, 'AWS::Lambda::Function'));
        expect(fns).toHaveLength(9);
        for (const f of fns)
          expect([f.Properties.Runtime, f.Properties.Architectures]).toEqual(['nodejs22.x', ['arm64']]);
      }
    });

    it('reads MSK on demand: topic, group, batching, start, failures to the bucket, no retry limit or bisection', () => {
      const t = msk.statelessTemplate;
      expect(kafkaMapping(t)).toEqual({
        FunctionName: { Ref: kafkaFunctionId(t) },
        EventSourceArn: clusterImport,
        Topics: ['elt-events'],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'elt-dev-landing' },
        BatchSize: 1000,
        MaximumBatchingWindowInSeconds: 1,
        StartingPosition: 'TRIM_HORIZON',
        DestinationConfig: { OnFailure: { Destination: failureBucketImport } },
      });
      const exported = Object.values(
        msk.statefulTemplate.toJSON().Outputs as Record<
          string,
          { Value: unknown; Export?: { Name: string } }
        >,
      ).find((o) => o.Export?.Name.includes('KafkaCluster'));
      expect(exported?.Value).toEqual({
        'Fn::GetAtt': [logicalId(msk.statefulTemplate, 'AWS::MSK::ServerlessCluster'), 'Arn'],
      });
    });

    it('in provisioned mode adds the pollers, the retry limit and bisection, and never partial batch responses', () => {
      const t = mskProvisioned.statelessTemplate;
      expect(kafkaMapping(t)).toEqual({
        FunctionName: { Ref: kafkaFunctionId(t) },
        EventSourceArn: clusterImport,
        Topics: ['elt-events'],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'elt-landing-v2' },
        BatchSize: 500,
        MaximumBatchingWindowInSeconds: 10,
        StartingPosition: 'LATEST',
        DestinationConfig: { OnFailure: { Destination: failureBucketImport } },
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 5 },
        MaximumRetryAttempts: 2,
        BisectBatchOnFunctionError: true,
      });
    });

    it('reads a self-managed cluster with the secret and authentication method configured', () => {
      const t = selfManaged.statelessTemplate;
      expect(kafkaMapping(t)).toEqual({
        FunctionName: { Ref: kafkaFunctionId(t) },
        Topics: ['elt.events'],
        SelfManagedEventSource: {
          Endpoints: { KafkaBootstrapServers: ['b-1.kafka.example.com:9096', 'b-2.kafka.example.com:9096'] },
        },
        SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'elt-dev-landing' },
        SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_256_AUTH', URI: SECRET }],
        BatchSize: 1000,
        MaximumBatchingWindowInSeconds: 1,
        StartingPosition: 'TRIM_HORIZON',
        DestinationConfig: { OnFailure: { Destination: failureBucketImport } },
      });
    });

    it('with MSK: exactly the IAM-auth, cluster and ENI rights, each on its own ARN; "*" only for the EC2 actions', () => {
      const statements = kafkaStatements(msk.statelessTemplate);
      const kafka = statements.filter((st) => JSON.stringify(st.Action).match(/"(kafka|kafka-cluster|ec2):/));
      expect(kafka).toEqual([
        {
          Effect: 'Allow',
          Action: [
            'kafka-cluster:Connect',
            'kafka-cluster:DescribeClusterDynamicConfiguration',
            'kafka:DescribeClusterV2',
            'kafka:GetBootstrapBrokers',
          ],
          Resource: clusterImport,
        },
        {
          Effect: 'Allow',
          Action: ['kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData'],
          Resource: arn('topic/elt-dev-kafka/*/elt-events'),
        },
        {
          Effect: 'Allow',
          Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
          Resource: arn('group/elt-dev-kafka/*/elt-dev-landing'),
        },
        { Effect: 'Allow', Action: EC2_ACTIONS, Resource: '*' },
      ]);
      for (const st of statements) if (st.Resource === '*') expect(st.Action).toEqual(EC2_ACTIONS);
      // CDK's ManagedKafkaEventSource would attach AWSLambdaMSKExecutionRole (everything on "*"): not used.
      const role = logicalId(msk.statelessTemplate, 'AWS::IAM::Role', {
        Description: Match.stringLikeRegexp('^Lands Kafka batches'),
      });
      expect(
        resourcesOf(msk.statelessTemplate, 'AWS::IAM::Role')[role]!.Properties.ManagedPolicyArns,
      ).toBeUndefined();
    });

    it('the group ARN follows the configured consumer group', () => {
      const statements = kafkaStatements(mskProvisioned.statelessTemplate);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
        Resource: arn('group/elt-dev-kafka/*/elt-landing-v2'),
      });
    });

    it('self-managed: reads only its secret, no MSK or EC2 rights', () => {
      const statements = kafkaStatements(selfManaged.statelessTemplate);
      expect(statements).toContainEqual({
        Effect: 'Allow',
        Action: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue'],
        Resource: SECRET,
      });
      expect(JSON.stringify(statements)).not.toMatch(/"(kafka|kafka-cluster|ec2):/);
      for (const st of statements) expect(st.Resource).not.toBe('*');
    });

    it('writes under raw/ and quarantine/, and only puts and lists in its failure bucket', () => {
      for (const t of [msk.statelessTemplate, selfManaged.statelessTemplate]) {
        const statements = kafkaStatements(t);
        const s3 = statements.filter((st) => JSON.stringify(st.Action).includes('s3:'));
        expect(s3).toHaveLength(2);
        expect(s3[0]!.Action).toBe('s3:PutObject');
        const resources = s3[0]!.Resource as unknown[];
        expect(resources).toHaveLength(3);
        expect(resources).toContainEqual({ 'Fn::Join': ['', [failureBucketImport, '/*']] });
        expect(JSON.stringify(resources)).toContain('RawBucket');
        expect(JSON.stringify(resources)).toContain('/raw/*');
        expect(JSON.stringify(resources)).toContain('/quarantine/*');
        expect(s3[1]).toEqual({ Effect: 'Allow', Action: 's3:ListBucket', Resource: failureBucketImport });
        expect(JSON.stringify(statements)).not.toMatch(/"(sqs|sns):/);
      }
    });

    it('has no IAM statement on Resource "*" anywhere except the EC2 actions the mapping needs', () => {
      const allowedOnStar = new Set([
        ...EC2_ACTIONS,
        'redshift-data:DescribeStatement',
        'redshift-data:GetStatementResult',
        'redshift-data:CancelStatement',
        'redshift-data:ListStatements',
        'xray:PutTraceSegments',
        'xray:PutTelemetryRecords',
        'xray:GetSamplingRules',
        'xray:GetSamplingTargets',
        'logs:CreateLogDelivery',
        'logs:GetLogDelivery',
        'logs:UpdateLogDelivery',
        'logs:DeleteLogDelivery',
        'logs:ListLogDeliveries',
        'logs:PutResourcePolicy',
        'logs:DescribeResourcePolicies',
        'logs:DescribeLogGroups',
      ]);
      for (const variant of [msk, mskProvisioned, selfManaged]) {
        for (const t of [variant.statefulTemplate, variant.statelessTemplate]) {
          for (const policy of Object.values(resourcesOf(t, 'AWS::IAM::Policy'))) {
            for (const st of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
              if (st.Resource !== '*') continue;
              for (const action of [st.Action].flat()) expect(allowedOnStar, action).toContain(action);
            }
          }
        }
      }
    });

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

    it('alarms on the offset lag and on any write to the failure bucket, to the alarm topic', () => {
      for (const [variant, threshold] of [
        [msk, 100_000],
        [mskProvisioned, 5000],
      ] as const) {
        const t = variant.statelessTemplate;
        const topic = logicalId(t, 'AWS::SNS::Topic');
        expect(Object.keys(resourcesOf(t, 'AWS::CloudWatch::Alarm'))).toHaveLength(11);
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/Lambda',
          MetricName: 'OffsetLag',
          Dimensions: [{ Name: 'FunctionName', Value: { Ref: kafkaFunctionId(t) } }],
          Statistic: 'Maximum',
          Period: 300,
          EvaluationPeriods: 1,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: threshold,
          TreatMissingData: 'notBreaching',
          AlarmActions: [{ Ref: topic }],
        });
        t.hasResourceProperties('AWS::CloudWatch::Alarm', {
          Namespace: 'AWS/S3',
          MetricName: 'PutRequests',
          Dimensions: [
            {
              Name: 'BucketName',
              Value: {
                'Fn::ImportValue': Match.stringLikeRegexp(
                  '^elt-dev-stateful:ExportsOutputRefKafkaFailuresBucket',
                ),
              },
            },
            { Name: 'FilterId', Value: 'EntireBucket' },
          ],
          Statistic: 'Sum',
          Period: 300,
          ComparisonOperator: 'GreaterThanThreshold',
          Threshold: 0,
          AlarmActions: [{ Ref: topic }],
        });
      }
    });

    it('outputs the function name, and no failure queue any more', () => {
      const t = msk.statelessTemplate;
      t.hasOutput('KafkaLandingFunctionName', { Value: { Ref: kafkaFunctionId(t) } });
      expect(Object.keys(t.findOutputs('*'))).not.toContain('KafkaFailureQueueUrl');
      expect(Object.keys(resourcesOf(t, 'AWS::SQS::Queue'))).toEqual([]);
    });
  });

  it('self-managed Kafka adds only its failure bucket (policy, output and export) to the stateful stack', () => {
    type Doc = { Resources: Record<string, unknown>; Outputs: Record<string, unknown> };
    const before = s.statefulTemplate.toJSON() as Doc;
    const after = selfManaged.statefulTemplate.toJSON() as Doc;
    const added = (a: Doc, b: Doc, k: 'Resources' | 'Outputs'): string[] =>
      Object.keys(a[k]).filter((id) => !(id in b[k]));
    expect(added(after, before, 'Resources').map((id) => id.replace(/[0-9A-F]{8}$/, ''))).toEqual([
      'KafkaFailuresBucket',
      'KafkaFailuresBucketPolicy',
    ]);
    expect(added(before, after, 'Resources')).toEqual([]);
    expect(
      added(after, before, 'Outputs')
        .map((id) => id.replace(/[0-9A-F]{8}.*$/, ''))
        .sort(),
    ).toEqual([
      'ExportsOutputFnGetAttKafkaFailuresBucket',
      'ExportsOutputRefKafkaFailuresBucket',
      'KafkaFailureBucketName',
    ]);
  });

  it('refuses kafka on the local (LocalStack) environment when synthesizing', () => {
    expect(() =>
      synthesize({
        ...withEnvironment('local', { kafka: { mode: 'msk-serverless', topic: 'elt-events' } }),
        env: 'local',
        account: '000000000000',
        region: 'us-east-1',
      }),
    ).toThrow('kafka cannot be set with target "localstack"');
  });
});

describe('the ingest API (on by default for target aws)', () => {
  type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
  const propertiesOfOnly = (t: SynthesizedApp['statelessTemplate'], type: string) =>
    only(resourcesOf(t, type)).Properties;
  const ingestFunctionId = (t: SynthesizedApp['statelessTemplate']): string =>
    logicalId(t, 'AWS::Lambda::Function', { Description: Match.stringLikeRegexp('^Ingest API') });
  const ingestStatements = (t: SynthesizedApp['statelessTemplate']): Statement[] => {
    const fn = resourcesOf(t, 'AWS::Lambda::Function')[ingestFunctionId(t)]!;
    const role = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    return Object.values(resourcesOf(t, 'AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
      .flatMap((p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  };
  const tableId = (t: SynthesizedApp['statelessTemplate']): string => logicalId(t, 'AWS::DynamoDB::Table');
  const secretImport = {
    'Fn::ImportValue': Match.stringLikeRegexp('^elt-dev-stateful:ExportsOutputRefIngestToken'),
  };
  let tuned: SynthesizedApp;
  let disabled: SynthesizedApp;
  beforeAll(() => {
    tuned = synthesize(
      withEnvironment('dev', { ingestApi: { throttleRatePerSecond: 50, throttleBurst: 75 } }),
    );
    disabled = synthesize(withEnvironment('dev', { ingestApi: { enabled: false } }));
  });

  it('is an HTTP API with one route, POST /v1/events, proxied to the ingest function with payload format 2.0', () => {
    const t = s.statelessTemplate;
    expect(propertiesOfOnly(t, 'AWS::ApiGatewayV2::Api')).toMatchObject({
      Name: 'elt-dev-ingest',
      ProtocolType: 'HTTP',
    });
    const api = logicalId(t, 'AWS::ApiGatewayV2::Api');
    const integration = logicalId(t, 'AWS::ApiGatewayV2::Integration');
    expect(propertiesOfOnly(t, 'AWS::ApiGatewayV2::Route')).toEqual({
      ApiId: { Ref: api },
      AuthorizationType: 'NONE',
      RouteKey: 'POST /v1/events',
      Target: { 'Fn::Join': ['', ['integrations/', { Ref: integration }]] },
    });
    expect(propertiesOfOnly(t, 'AWS::ApiGatewayV2::Integration')).toEqual({
      ApiId: { Ref: api },
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: { 'Fn::GetAtt': [ingestFunctionId(t), 'Arn'] },
      PayloadFormatVersion: '2.0',
    });
    // Only this API may invoke the function, and only through its route.
    expect(propertiesOfOnly(t, 'AWS::Lambda::Permission')).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [ingestFunctionId(t), 'Arn'] },
      Principal: 'apigateway.amazonaws.com',
      SourceArn: {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':execute-api:eu-west-1:123456789012:',
            { Ref: api },
            '/*/*/v1/events',
          ],
        ],
      },
    });
  });

  it('throttles the default stage (100 rps, burst 200 by default; from config) and access-logs it without headers', () => {
    const stage = propertiesOfOnly(s.statelessTemplate, 'AWS::ApiGatewayV2::Stage');
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
    });
    expect(
      propertiesOfOnly(tuned.statelessTemplate, 'AWS::ApiGatewayV2::Stage').DefaultRouteSettings,
    ).toEqual({
      ThrottlingRateLimit: 50,
      ThrottlingBurstLimit: 75,
    });
    const logs = stage.AccessLogSettings as {
      DestinationArn: { 'Fn::GetAtt': [string, string] };
      Format: string;
    };
    const group = resourcesOf(s.statelessTemplate, 'AWS::Logs::LogGroup')[
      logs.DestinationArn['Fn::GetAtt'][0]
    ];
    expect(group?.Properties.RetentionInDays).toBe(14);
    const format = JSON.parse(logs.Format) as Record<string, string>;
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      ip: '$context.identity.sourceIp',
    });
    // Nothing a producer sends: no header (the token), no body.
    expect(logs.Format).not.toMatch(/header|body|authoriz/i);
  });

  it('keeps idempotency records in a table shaped for Powertools: key "id", TTL "expiration", on demand, PITR, AWS-managed encryption', () => {
    const table = resourcesOf(s.statelessTemplate, 'AWS::DynamoDB::Table')[tableId(s.statelessTemplate)]!;
    expect(table.Properties).toEqual({
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiration', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      Tags: [
        { Key: 'environment', Value: 'dev' },
        { Key: 'project', Value: 'serverless-elt' },
      ],
    });
    // Short-lived records: they go with the stateless stack (a lost one only lets an old retry republish,
    // with the same event ids).
    expect(table.DeletionPolicy).toBe('Delete');
  });

  it('gives the function exactly its four table actions, PutEvents on the bus and GetSecretValue on the token, no "*"', () => {
    const t = s.statelessTemplate;
    const fn = resourcesOf(t, 'AWS::Lambda::Function')[ingestFunctionId(t)]!;
    const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
    expect(ingestStatements(t)).toEqual([
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: { 'Fn::GetAtt': [logGroup, 'Arn'] },
      },
      {
        Effect: 'Allow',
        Action: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: { 'Fn::GetAtt': [tableId(t), 'Arn'] },
      },
      { Effect: 'Allow', Action: 'events:PutEvents', Resource: expect.objectContaining({}) },
      { Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: expect.objectContaining({}) },
    ]);
    const [, , events, secret] = ingestStatements(t);
    expect(events!.Resource).toEqual({
      'Fn::ImportValue': expect.stringMatching(/^elt-dev-stateful:ExportsOutputFnGetAttEventBus\w+Arn\w+$/),
    });
    expect(secret!.Resource).toEqual({
      'Fn::ImportValue': expect.stringMatching(/^elt-dev-stateful:ExportsOutputRefIngestToken\w+$/),
    });
    expect(JSON.stringify(ingestStatements(t))).not.toContain('"*"');
    // The imports are the bus ARN and the secret the stateful stack exports.
    const outputs = s.statefulTemplate.toJSON().Outputs as Record<
      string,
      { Value: unknown; Export?: { Name: string } }
    >;
    const exported = (name: unknown) =>
      Object.values(outputs).find(
        (o) => o.Export?.Name === (name as { 'Fn::ImportValue': string })['Fn::ImportValue'],
      )?.Value;
    expect(exported(events!.Resource)).toEqual({
      'Fn::GetAtt': [logicalId(s.statefulTemplate, 'AWS::Events::EventBus'), 'Arn'],
    });
    expect(exported(secret!.Resource)).toEqual({
      Ref: logicalId(s.statefulTemplate, 'AWS::SecretsManager::Secret'),
    });
  });

  it('runs the ingest function on nodejs22.x arm64 with the bus, token secret, table and TTL in its environment', () => {
    const t = s.statelessTemplate;
    t.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Ingest API'),
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Timeout: 15,
      MemorySize: 512,
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'elt-ingest',
          POWERTOOLS_METRICS_NAMESPACE: 'ServerlessElt',
          NODE_OPTIONS: '--enable-source-maps',
          BUS_NAME: {
            'Fn::ImportValue': Match.stringLikeRegexp('^elt-dev-stateful:ExportsOutputRefEventBus'),
          },
          INGEST_TOKEN_SECRET_ARN: secretImport,
          IDEMPOTENCY_TABLE: { Ref: tableId(t) },
          IDEMPOTENCY_TTL_SECONDS: '86400',
        },
      },
    });
  });

  it('generates the token in the stateful stack (40 letters and digits, never in the template) and keeps it', () => {
    const secrets = resourcesOf(s.statefulTemplate, 'AWS::SecretsManager::Secret');
    const secret = only(secrets);
    expect(secret.Properties.GenerateSecretString).toEqual({
      PasswordLength: 40,
      ExcludePunctuation: true,
      IncludeSpace: false,
    });
    expect(secret.Properties.SecretString).toBeUndefined();
    expect(secret.DeletionPolicy).toBe('Retain');
    const destroyed = synthesize({ destroyOnRemoval: 'true' });
    expect(only(resourcesOf(destroyed.statefulTemplate, 'AWS::SecretsManager::Secret')).DeletionPolicy).toBe(
      'Delete',
    );
  });

  it('outputs the API URL (stateless stack) and the token secret ARN (stateful stack)', () => {
    const t = s.statelessTemplate;
    t.hasOutput('IngestApiUrl', {
      Value: {
        'Fn::Join': [
          '',
          [
            'https://',
            { Ref: logicalId(t, 'AWS::ApiGatewayV2::Api') },
            '.execute-api.eu-west-1.',
            { Ref: 'AWS::URLSuffix' },
            '/',
          ],
        ],
      },
    });
    // Where the secret is: an output of an imported value would be an export chain.
    s.statefulTemplate.hasOutput('IngestTokenSecretArn', {
      Value: { Ref: logicalId(s.statefulTemplate, 'AWS::SecretsManager::Secret') },
    });
    expect(t.toJSON().Outputs).not.toHaveProperty('IngestTokenSecretArn');
  });

  it('builds nothing of it with ingestApi.enabled false', () => {
    const stateless = JSON.stringify(disabled.statelessTemplate.toJSON());
    expect(stateless).not.toMatch(/AWS::ApiGatewayV2|AWS::DynamoDB::Table|IngestApiUrl|IngestTokenSecretArn/);
    disabled.statelessTemplate.resourceCountIs('AWS::Lambda::Function', 7);
    disabled.statefulTemplate.resourceCountIs('AWS::SecretsManager::Secret', 0);
  });

  it('is absent on the local (LocalStack) environment, and refused there when enabled', () => {
    const local = synthesize({ env: 'local', account: '000000000000', region: 'us-east-1' });
    expect(local.config.ingestApi.enabled).toBe(false);
    const all = JSON.stringify([local.statefulTemplate.toJSON(), local.statelessTemplate.toJSON()]);
    expect(all).not.toMatch(
      /AWS::ApiGatewayV2|AWS::DynamoDB::Table|AWS::SecretsManager::Secret|IngestApiUrl/,
    );
    expect(() =>
      synthesize({
        ...withEnvironment('local', { ingestApi: { enabled: true } }),
        env: 'local',
        account: '000000000000',
        region: 'us-east-1',
      }),
    ).toThrow('ingestApi.enabled cannot be true with target "localstack"');
  });
});
