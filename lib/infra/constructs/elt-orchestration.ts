import { Duration, Stack } from 'aws-cdk-lib';
import type * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as schedulerTargets from 'aws-cdk-lib/aws-scheduler-targets';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { TimeZone } from 'aws-cdk-lib';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { ELT_EVENT_SOURCE } from '../../core/events/catalogue.js';
import { ELT_STATE_MACHINE_TIMEOUT_MS } from '../../core/elt/elt-steps.js';
import { WATERMARK_PREFIX } from '../../core/elt/raw-listing.js';
import { RAW_PREFIX } from '../../core/landing/object-keys.js';
import { eltSettings, type EltSettingsInput } from '../../../lambdas/elt/settings.js';
import { grantBucketAccess } from './bucket-access.js';
import { EltFunction } from './elt-function.js';
import { MANIFEST_PREFIX } from './redshift-serverless-warehouse.js';
import type { EltWarehouse } from './data-api-warehouse.js';
import { objectsUnderPrefixes } from '../nag-findings.js';

/**
 * Where the ELT keeps what must outlive a run: the watermarks (`state/elt-watermark-<warehouse>.json`). Not under
 * `manifests/`, whose objects expire after 30 days.
 */
export const STATE_PREFIX = WATERMARK_PREFIX;

/** The ELT steps, in order; each is a Lambda handler `lambdas/elt/<step>.ts`. */
export const ELT_STEPS = ['plan', 'load', 'transform', 'test', 'publish', 'fail', 'compact'] as const;
export type EltStep = (typeof ELT_STEPS)[number];

/** Props of {@link EltOrchestration}. */
export interface EltOrchestrationProps {
  readonly namePrefix: string;
  readonly bus: events.IEventBus;
  readonly rawBucket: s3.IBucket;
  readonly warehouse: EltWarehouse;
  /**
   * The Data API the steps call and the SQL they write (`warehouse.dataApiEndpoint`, `warehouse.sqlDialect`).
   * @default the Region's Data API, Redshift SQL
   */
  readonly dataApi?: { readonly endpoint?: string; readonly dialect?: string };
  /** EventBridge Scheduler expression (already validated by the config). */
  readonly schedule: string;
  readonly timezone: string;
  readonly logRetention: logs.RetentionDays;
  readonly metricsNamespace: string;
  /** Readers, lateness and run size, passed to every step as environment variables. */
  readonly run: Required<Pick<EltSettingsInput, 'readers' | 'latenessHours' | 'maxObjectsPerRun'>>;
}

/**
 * The scheduled ELT: an EventBridge Scheduler schedule starts a Step Functions state machine that plans
 * the run (objects not in the load ledger), loads them, builds the models (load and transform each run
 * again until they report they are complete), runs the data tests, promotes the tested tables and records
 * the run, then publishes `EltRunSucceeded` on the bus. Any failure records
 * the run as failed and publishes `EltRunFailed`. Each step is a function of its own with only the
 * permissions the ELT needs.
 *
 * The steps share one role, the runner. The Data API maps an IAM role to one database user
 * (`IAMR:<role name>`), and the tables one step creates must be usable, renamable and droppable by the
 * next, so every step must be the same database user, the owner of every pipeline table. The role has a
 * fixed name so that the user has one too: grant other users read access to the marts as
 * `IAMR:<namePrefix>-<region>-elt-runner`.
 */
export class EltOrchestration extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly schedule: scheduler.Schedule;
  readonly functions: Readonly<Record<EltStep, EltFunction>>;
  /** The identity of every ELT step, and so the database user that owns the pipeline's tables. */
  readonly runnerRole: iam.Role;

  constructor(scope: Construct, id: string, props: EltOrchestrationProps) {
    super(scope, id);
    const env = eltSettings.toEnvironment({
      bucket: props.rawBucket.bucketName,
      target: { workgroupName: props.warehouse.workgroupName },
      database: props.warehouse.databaseName,
      copyRoleArn: props.warehouse.copyRole.roleArn,
      ...(props.warehouse.namespaceId ? { namespaceId: props.warehouse.namespaceId } : {}),
      ...(props.dataApi?.endpoint ? { dataApiEndpoint: props.dataApi.endpoint } : {}),
      ...(props.dataApi?.dialect ? { dialect: props.dataApi.dialect } : {}),
      ...props.run,
    });
    this.runnerRole = new iam.Role(this, 'RunnerRole', {
      roleName: `${props.namePrefix}-${Stack.of(this).region}-elt-runner`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'ELT steps: one identity, so one Redshift database user owns every pipeline table',
    });
    props.warehouse.grantDataApi(this.runnerRole);
    // Plan lists raw/ and writes its plan under manifests/; load reads the plan and writes COPY manifests;
    // plan reads and publish writes the watermark under state/; compact reads, writes and deletes raw objects
    // (compacted objects replace the originals of closed partitions).
    grantBucketAccess(props.rawBucket, this.runnerRole, {
      list: [RAW_PREFIX],
      get: [MANIFEST_PREFIX, STATE_PREFIX, RAW_PREFIX],
      put: [MANIFEST_PREFIX, STATE_PREFIX, RAW_PREFIX],
      delete: [RAW_PREFIX],
    });
    NagSuppressions.addResourceSuppressions(
      this.runnerRole,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Objects under manifests/ (names made of run ids at run time), state/ (the watermark) and raw/ (compaction of closed partitions: object names are hashes made at run time) of the raw bucket only.',
          appliesTo: [objectsUnderPrefixes(MANIFEST_PREFIX, STATE_PREFIX, RAW_PREFIX)],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            "Redshift Data API follow-up calls (DescribeStatement, GetStatementResult, …) take a statement id, not a resource ARN; they are limited to statements of this role's sessions by the statement-owner condition.",
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
    const make = (step: EltStep, description: string, timeout: Duration, memoryMb?: number): EltFunction =>
      new EltFunction(this, `Step-${step}`, {
        ...(memoryMb !== undefined ? { memoryMb } : {}),
        handler: `elt/${step}`,
        description,
        serviceName: `elt-${step}`,
        metricsNamespace: props.metricsNamespace,
        logRetention: props.logRetention,
        timeout,
        environment: env,
        role: this.runnerRole,
      });
    const functions: Record<EltStep, EltFunction> = {
      plan: make('plan', 'ELT: list raw objects not loaded yet and write the run plan', Duration.minutes(5)),
      load: make(
        'load',
        'ELT: COPY the planned objects into raw_events and record them in the ledger',
        Duration.minutes(15),
      ),
      transform: make(
        'transform',
        'ELT: build every model into a new table, in dependency order',
        Duration.minutes(15),
      ),
      test: make('test', 'ELT: run the data tests on the new tables', Duration.minutes(10)),
      publish: make('publish', 'ELT: promote the tested tables and record the run', Duration.minutes(5)),
      fail: make('fail', 'ELT: drop unpromoted tables and record the failed run', Duration.minutes(5)),
      compact: make(
        'compact',
        'ELT: merge the small objects of closed raw partitions into large ones, recorded in the ledger',
        Duration.minutes(15),
        1024,
      ),
    };
    this.functions = functions;

    const invoke = (step: EltStep, resultPath: string): tasks.LambdaInvoke =>
      new tasks.LambdaInvoke(this, `Run-${step}`, {
        lambdaFunction: functions[step].function,
        payloadResponseOnly: true,
        resultPath,
        retryOnServiceExceptions: true,
      });
    const runEvent = (id: string, detailType: string): tasks.EventBridgePutEvents =>
      new tasks.EventBridgePutEvents(this, id, {
        entries: [
          {
            eventBus: props.bus,
            source: ELT_EVENT_SOURCE,
            detailType,
            detail: sfn.TaskInput.fromObject({
              eventId: sfn.JsonPath.uuid(),
              runId: sfn.JsonPath.stringAt('$.run.runId'),
              status: detailType === 'EltRunSucceeded' ? 'succeeded' : 'failed',
              executionArn: sfn.JsonPath.executionId,
            }),
          },
        ],
        resultPath: sfn.JsonPath.DISCARD,
      });

    const plan = invoke('plan', '$.run');
    const load = invoke('load', '$.run');
    const transform = invoke('transform', '$.run');
    const test = invoke('test', '$.run');
    const publish = invoke('publish', '$.run');
    const fail = invoke('fail', '$.run');
    // After a published run, its own step: a compaction that fails leaves the run published (and recorded
    // as succeeded) and fails the execution, so the failed-execution alarm names it.
    const compact = invoke('compact', '$.compaction');
    compact.addCatch(
      new sfn.Fail(this, 'CompactionFailed', {
        error: 'CompactionFailed',
        cause:
          'The run was published; compacting closed raw partitions failed (see the compact function log).',
      }),
      { errors: ['States.ALL'], resultPath: '$.error' },
    );
    const failed = new sfn.Fail(this, 'RunFailed', {
      error: 'EltRunFailed',
      cause: 'An ELT step failed; see the run history and the EltRunFailed event.',
    });
    const failure = fail.next(runEvent('PublishRunFailed', 'EltRunFailed')).next(failed);
    for (const step of [plan, load, transform, test, publish]) {
      step.addCatch(failure, { errors: ['States.ALL'], resultPath: '$.error' });
    }
    // A load or transform step does as much as fits in one invocation and says whether it finished
    // (`loadComplete` / `transformComplete`); until it has, it runs again. The state machine timeout bounds
    // the loop. A step that does not report the flag counts as complete.
    const notComplete = (path: string): sfn.Condition =>
      sfn.Condition.and(sfn.Condition.isPresent(path), sfn.Condition.booleanEquals(path, false));
    load.next(
      new sfn.Choice(this, 'LoadComplete').when(notComplete('$.run.loadComplete'), load).otherwise(transform),
    );
    transform.next(
      new sfn.Choice(this, 'TransformComplete')
        .when(notComplete('$.run.transformComplete'), transform)
        .otherwise(test),
    );
    const definition = plan.next(
      new sfn.Choice(this, 'AnythingNew')
        // Nothing landed since the last published run: stop before waking the warehouse.
        .when(
          sfn.Condition.and(
            sfn.Condition.isPresent('$.run.nothingNew'),
            sfn.Condition.booleanEquals('$.run.nothingNew', true),
          ),
          new sfn.Succeed(this, 'NothingNew'),
        )
        // Another run holds the warehouse's run lock (a manual start during a scheduled run, or the other
        // way round): this one stops having changed nothing.
        .when(sfn.Condition.isPresent('$.run.lockedBy'), new sfn.Succeed(this, 'AnotherRunInProgress'))
        .otherwise(
          new sfn.Choice(this, 'AnythingToLoad')
            .when(sfn.Condition.numberGreaterThan('$.run.pendingObjects', 0), load)
            .otherwise(transform),
        ),
    );
    test.next(
      new sfn.Choice(this, 'TestsPassed')
        // Failing data tests are not an error of the step: the run goes down the failure path unpublished.
        .when(sfn.Condition.isPresent('$.run.failedTests[0]'), failure)
        .otherwise(
          publish
            .next(runEvent('PublishRunSucceeded', 'EltRunSucceeded'))
            .next(compact)
            .next(new sfn.Succeed(this, 'RunSucceeded')),
        ),
    );

    const smLogs = new logs.LogGroup(this, 'StateMachineLogs', { retention: props.logRetention });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      stateMachineName: `${props.namePrefix}-elt`,
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      // The run lock expires 5 minutes after this (ELT_RUN_LOCK_TTL_MS).
      timeout: Duration.millis(ELT_STATE_MACHINE_TIMEOUT_MS),
      tracingEnabled: true,
      logs: { destination: smLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
    });
    NagSuppressions.addResourceSuppressions(
      this.stateMachine,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'Invoking the step functions includes their versions (ARN:*), as the CDK grant does; X-Ray and log delivery actions do not support resource-level permissions.',
          appliesTo: [{ regex: '/^Resource::<.*Function.*\\.Arn>:\\*$/g' }, 'Resource::*'],
        },
      ],
      true,
    );

    // Scheduler role: start this state machine, nothing else.
    const schedulerRole = new iam.Role(this, 'SchedulerRole', {
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com'),
    });
    this.schedule = new scheduler.Schedule(this, 'Schedule', {
      scheduleName: `${props.namePrefix}-elt`,
      description: 'Starts the ELT run',
      schedule: scheduler.ScheduleExpression.expression(props.schedule, TimeZone.of(props.timezone)),
      target: new schedulerTargets.StepFunctionsStartExecution(this.stateMachine, {
        role: schedulerRole,
        input: scheduler.ScheduleTargetInput.fromObject({}),
        // A start that keeps failing for an hour is superseded by the next run, which loads the same objects.
        retryAttempts: 3,
        maxEventAge: Duration.hours(1),
      }),
    });
  }
}
