import { Match } from 'aws-cdk-lib/assertions';
import { ELT_RUN_LOCK_TTL_MS } from '../../../lib/core/elt/elt-steps.js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  logicalId,
  only,
  resourcesOf,
  synthesize,
  withEnvironment,
  type Resources,
  type SynthesizedApp,
} from '../../support/cdk-app.js';

let s: SynthesizedApp;
beforeAll(() => {
  s = synthesize();
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
    expect(steps(s.statelessTemplate)).toHaveLength(7);
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

  it('lets the ELT runner read and write its watermark under state/ and compact raw/ of the raw bucket, and delete only under raw/', () => {
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
    expect(resources).toContain('"/raw/*"');
    expect(resources.match(/\/\*"/g)).toHaveLength(3);
    const deletes = statements.filter((st) => JSON.stringify(st.Action).includes('s3:DeleteObject'));
    expect(deletes).toHaveLength(1);
    expect(deletes[0]!.Action).toBe('s3:DeleteObject');
    expect(JSON.stringify(deletes[0]!.Resource)).toMatch(/^\{"Fn::Join":.*"\/raw\/\*"\]\]\}$/);
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
    expect(steps).toHaveLength(7);
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
