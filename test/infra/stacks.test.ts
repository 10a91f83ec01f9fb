import { LEFT_OUT } from '../../lib/core/deploy-config/targets.js';
import { Match } from 'aws-cdk-lib/assertions';
import { RULES } from '../../lib/core/rules.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIONS_WITHOUT_RESOURCE_ARNS,
  KAFKA_VARIANTS,
  resourcesOf,
  statementsOnAnyResource,
  synthesize,
  withEnvironment,
  type SynthesizedApp,
} from '../support/cdk-app.js';

let s: SynthesizedApp;
let msk: SynthesizedApp;
let mskProvisioned: SynthesizedApp;
let selfManaged: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
  msk = synthesize(KAFKA_VARIANTS.msk);
  mskProvisioned = synthesize(KAFKA_VARIANTS.mskProvisioned);
  selfManaged = synthesize(KAFKA_VARIANTS.selfManaged);
});

describe('stateless stack: landing', () => {
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

  it('runs the landing function with a heap sized from its memory (landing.memoryMb), both spaces given', () => {
    s.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 1024,
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'elt-landing',
          NODE_OPTIONS: '--max-semi-space-size=64 --max-old-space-size=729',
        }),
      },
    });
    const small = synthesize(withEnvironment('dev', { landing: { memoryMb: 512 } }));
    small.statelessTemplate.hasResourceProperties('AWS::Lambda::Function', {
      MemorySize: 512,
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'elt-landing',
          NODE_OPTIONS: '--max-semi-space-size=32 --max-old-space-size=364',
        }),
      },
    });
  });

  it('consumes the landing queue with the configured batching, partial batch responses and concurrency cap', () => {
    s.statelessTemplate.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: 10_000,
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
    const allowedOnStar = new Set(ACTIONS_WITHOUT_RESOURCE_ARNS);
    for (const template of [s.statefulTemplate, s.statelessTemplate]) {
      for (const st of statementsOnAnyResource(template)) {
        for (const action of [st.Action].flat()) expect(allowedOnStar, action).toContain(action);
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

describe('the emulator environment (target emulator, MiniStack)', () => {
  let emu: SynthesizedApp;
  beforeAll(() => {
    emu = synthesize({ env: 'emulator', account: '000000000000', region: 'us-east-1' });
  });

  it('leaves out exactly what targets.ts names: the archive and Redshift Serverless with its VPC', () => {
    const stateful = JSON.stringify(emu.statefulTemplate.toJSON());
    expect(stateful).not.toMatch(/AWS::Events::Archive|AWS::RedshiftServerless|AWS::EC2::/);
    expect(Object.keys(LEFT_OUT.emulator).sort()).toEqual(['archive', 'kafka', 'redshiftServerless']);
    // The COPY role is still made, with the grants it has on AWS.
    emu.statefulTemplate.resourceCountIs('AWS::IAM::Role', 1);
  });

  it('deploys everything else of the aws app: event source mapping, workflow, schedule, ingest API, alarms, dashboard', () => {
    const t = emu.statelessTemplate;
    t.resourceCountIs('AWS::Lambda::EventSourceMapping', 1);
    t.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    t.resourceCountIs('AWS::Scheduler::Schedule', 1);
    t.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    expect(Object.keys(resourcesOf(t, 'AWS::CloudWatch::Alarm')).length).toBeGreaterThanOrEqual(5);
    // Only the warehouse cost alarm goes, with Redshift Serverless (its metric is the workgroup's).
    expect(JSON.stringify(t.toJSON())).not.toMatch(/AWS\/Redshift-Serverless/);
  });

  it('gives the ELT steps the Data API endpoint and SQL dialect of the config, and no test-only path', () => {
    const steps = Object.values(resourcesOf(emu.statelessTemplate, 'AWS::Lambda::Function')).filter((r) =>
      JSON.stringify(r).includes('REDSHIFT_WORKGROUP'),
    );
    expect(steps).toHaveLength(7);
    for (const step of steps) {
      const vars = (
        step as unknown as { Properties: { Environment: { Variables: Record<string, unknown> } } }
      ).Properties.Environment.Variables;
      expect(vars).toMatchObject({
        REDSHIFT_DATA_API_ENDPOINT: emu.config.warehouse.dataApiEndpoint,
        REDSHIFT_SQL_DIALECT: 'postgres',
        REDSHIFT_WORKGROUP: 'elt-emulator-warehouse',
      });
      expect(vars).not.toHaveProperty('RAW_STORE');
    }
  });

  it('refuses an emulator environment without a Data API endpoint, and Kafka, naming the reason', () => {
    const ctx = (patch: Record<string, unknown>): Record<string, unknown> => ({
      ...withEnvironment('emulator', patch),
      env: 'emulator',
      account: '000000000000',
      region: 'us-east-1',
    });
    expect(() => synthesize(ctx({ warehouse: { sqlDialect: 'postgres' } }))).toThrow(
      'warehouse.dataApiEndpoint is not set: target "emulator" has no Redshift Serverless',
    );
    expect(() => synthesize(ctx({ kafka: { mode: 'msk-serverless', topic: 'elt-events' } }))).toThrow(
      'kafka cannot be set with target "emulator": MiniStack 1.5.33 has no MSK',
    );
  });
});

describe('the optional Kafka landing path', () => {
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
