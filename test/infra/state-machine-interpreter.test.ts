import { beforeAll, describe, expect, it } from 'vitest';
import { ELT_STATE_MACHINE_TIMEOUT_MS, type RunState } from '../../lib/core/elt/elt-steps.js';
import { ELT_STEPS, type EltStep } from '../../lib/infra/constructs/elt-orchestration.js';
import {
  LAMBDA_TIMEOUT_ERROR,
  LambdaTimeoutError,
  MAX_TRANSITIONS,
  STATES_ERRORS,
  TRANSITION_LIMIT_ERROR,
  UnsupportedAslError,
  executeEltRun,
  lambdaContextFactory,
  loadEltDefinition,
  runStateMachine,
  type AslDefinition,
  type AslState,
  type EltDefinition,
  type EltStepHandler,
  type Json,
  type LambdaContext,
} from '../support/state-machine.js';

const fn = (name: string): string => `arn:aws:lambda:eu-west-1:123456789012:function:${name}`;

/** A definition of one Task that invokes `step` and then ends; more states can be added. */
const taskThen = (task: Omit<AslState, 'Type'>, more: Record<string, AslState> = {}): AslDefinition => ({
  StartAt: 'Work',
  States: { Work: { Type: 'Task', Resource: fn('work'), ...task }, ...more },
});

const namedError = (name: string, message: string): Error => Object.assign(new Error(message), { name });

describe('state machine interpreter', () => {
  it('takes the Choice rule whose IsPresent matches, and the Default otherwise', async () => {
    const definition: AslDefinition = {
      StartAt: 'HasUser',
      States: {
        HasUser: {
          Type: 'Choice',
          Choices: [{ Variable: '$.user.name', IsPresent: true, Next: 'Known' }],
          Default: 'Anonymous',
        },
        Known: { Type: 'Succeed' },
        Anonymous: { Type: 'Pass', Result: 'anonymous', ResultPath: '$.user', End: true },
      },
    };
    const noLambda = { lambda: () => expect.fail('no task runs') };

    const known = await runStateMachine(definition, { user: { name: 'ada' } }, noLambda);
    const anonymous = await runStateMachine(definition, { user: {} }, noLambda);

    expect(known.history.map((h) => h.state)).toEqual(['HasUser', 'Known']);
    expect(known.output).toEqual({ user: { name: 'ada' } });
    expect(anonymous.history.map((h) => h.state)).toEqual(['HasUser', 'Anonymous']);
    expect(anonymous.output).toEqual({ user: 'anonymous' });
  });

  it('puts a caught Lambda error at the catcher ResultPath, as Error plus a JSON Cause, and keeps the input', async () => {
    const definition = taskThen(
      {
        ResultPath: '$.result',
        End: true,
        Catch: [{ ErrorEquals: ['QuotaError'], ResultPath: '$.error', Next: 'Caught' }],
      },
      { Caught: { Type: 'Succeed' } },
    );

    const result = await runStateMachine(
      definition,
      { order: 7 },
      {
        lambda: () => {
          throw namedError('QuotaError', 'over quota');
        },
      },
    );

    expect(result.status).toBe('SUCCEEDED');
    const output = result.output as { order: number; error: { Error: string; Cause: string } };
    expect(output.order).toBe(7);
    expect(output.error.Error).toBe('QuotaError');
    expect(JSON.parse(output.error.Cause)).toMatchObject({
      errorType: 'QuotaError',
      errorMessage: 'over quota',
    });
    expect(result.history.map((h) => [h.state, h.next])).toEqual([
      ['Work', 'Caught'],
      ['Caught', undefined],
    ]);
  });

  it('fails the execution with the error when no catcher names it exactly', async () => {
    const definition = taskThen(
      { End: true, Catch: [{ ErrorEquals: ['QuotaError'], Next: 'Caught' }] },
      { Caught: { Type: 'Succeed' } },
    );

    const result = await runStateMachine(
      definition,
      {},
      {
        lambda: () => {
          throw namedError('QuotaErrorV2', 'over quota');
        },
      },
    );

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('QuotaErrorV2');
    expect(JSON.parse(result.cause!)).toMatchObject({ errorMessage: 'over quota' });
  });

  it('retries a failed task, counting attempts and recording the back-off instead of sleeping', async () => {
    const definition = taskThen({
      End: true,
      Retry: [
        { ErrorEquals: ['Lambda.ServiceException'], IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2 },
      ],
    });
    let calls = 0;
    const started = Date.now();

    const result = await runStateMachine(
      definition,
      {},
      {
        lambda: () => {
          calls++;
          if (calls === 1) throw namedError('Lambda.ServiceException', 'transient');
          return { ok: true };
        },
      },
    );

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { ok: true } });
    expect(calls).toBe(2);
    expect(result.history[0]).toMatchObject({
      attempts: 2,
      retries: [{ error: 'Lambda.ServiceException', waitSeconds: 2 }],
    });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('resolves .$ fields from the input, the context object and intrinsics in Parameters', async () => {
    const definition: AslDefinition = {
      StartAt: 'Shape',
      States: {
        Shape: {
          Type: 'Pass',
          Parameters: {
            'id.$': 'States.UUID()',
            'first.$': '$.items[0].sku',
            'greeting.$': "States.Format('hello {}, {} items', $.user.name, $.count)",
            'asText.$': 'States.JsonToString($.user)',
            'parsed.$': 'States.StringToJson(\'{"a":1}\')',
            'execution.$': '$$.Execution.Id',
            'name.$': '$$.Execution.Name',
            'started.$': '$$.Execution.StartTime',
            fixed: { kept: true, 'nested.$': '$.user.name' },
          },
          End: true,
        },
      },
    };

    const result = await runStateMachine(
      definition,
      { items: [{ sku: 'A-1' }, { sku: 'B-2' }], user: { name: 'ada' }, count: 2 },
      { lambda: () => expect.fail('no task runs') },
      {
        executionName: 'exec-1',
        startTime: new Date('2026-03-01T10:00:00.000Z'),
        stateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:sm',
        uuid: () => 'uuid-1',
      },
    );

    expect(result.output).toEqual({
      id: 'uuid-1',
      first: 'A-1',
      greeting: 'hello ada, 2 items',
      asText: '{"name":"ada"}',
      parsed: { a: 1 },
      execution: 'arn:aws:states:eu-west-1:123456789012:execution:sm:exec-1',
      name: 'exec-1',
      started: '2026-03-01T10:00:00.000Z',
      fixed: { kept: true, nested: 'ada' },
    });
  });

  it('refuses a state type outside the subset by name, before any handler runs', async () => {
    const definition: AslDefinition = {
      StartAt: 'First',
      States: {
        First: { Type: 'Task', Resource: fn('work'), Next: 'Fan' },
        Fan: { Type: 'Map', ItemsPath: '$.items', End: true },
      },
    };
    let invoked = false;

    await expect(
      runStateMachine(
        definition,
        {},
        {
          lambda: () => {
            invoked = true;
          },
        },
      ),
    ).rejects.toThrow(new UnsupportedAslError('state "Fan": Type "Map" is not supported'));
    expect(invoked).toBe(false);
  });

  describe('failures: constructs outside the subset are refused by name', () => {
    const noLambda = { lambda: () => undefined };
    it.each<[string, AslDefinition, RegExp]>([
      [
        'a Choice operator',
        {
          StartAt: 'C',
          States: {
            C: {
              Type: 'Choice',
              Choices: [{ Variable: '$.n', NumericLessThan: 1, Next: 'S' }],
              Default: 'S',
            },
            S: { Type: 'Succeed' },
          },
        },
        /Choice operator or field "NumericLessThan"/,
      ],
      ['a JsonPath', taskThen({ InputPath: '$.items[*]', End: true }), /JsonPath "\$\.items\[\*\]"/],
      [
        'an intrinsic function',
        taskThen({ Parameters: { 'n.$': 'States.MathAdd($.a, 1)' }, End: true }),
        /intrinsic function States\.MathAdd/,
      ],
      ['a state field', taskThen({ TimeoutSeconds: 30, End: true }), /field "TimeoutSeconds"/],
      [
        'a task resource',
        taskThen({ Resource: 'arn:aws:states:::sqs:sendMessage', End: true }),
        /Resource "arn:aws:states:::sqs:sendMessage"/,
      ],
    ])('%s', async (_what, definition, message) => {
      await expect(runStateMachine(definition, {}, noLambda)).rejects.toThrow(UnsupportedAslError);
      await expect(runStateMachine(definition, {}, noLambda)).rejects.toThrow(message);
    });
  });

  it('reports a function that ran past its timeout as Sandbox.Timedout, which States.TaskFailed catches', async () => {
    const definition = taskThen(
      {
        End: true,
        Catch: [{ ErrorEquals: [STATES_ERRORS.taskFailed], ResultPath: '$.error', Next: 'Caught' }],
      },
      { Caught: { Type: 'Succeed' } },
    );

    const result = await runStateMachine(
      definition,
      {},
      {
        lambda: () => {
          throw new LambdaTimeoutError('Task timed out after 900.00 seconds');
        },
      },
    );

    const error = (result.output as { error: { Error: string; Cause: string } }).error;
    expect(error.Error).toBe(LAMBDA_TIMEOUT_ERROR);
    expect(JSON.parse(error.Cause)).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: expect.stringMatching(/Task timed out after 900\.00 seconds$/),
    });
  });

  it('fails with States.Runtime, which States.ALL does not catch, when a Parameters path is missing', async () => {
    const definition = taskThen(
      {
        Parameters: { 'id.$': '$.missing' },
        End: true,
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
      },
      { Caught: { Type: 'Succeed' } },
    );

    const result = await runStateMachine(
      definition,
      { present: 1 },
      { lambda: () => expect.fail('not invoked') },
    );

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(STATES_ERRORS.runtime);
    expect(result.cause).toMatch(/'\$\.missing'/);
  });

  it('fails with States.Runtime when a Choice compares a variable that is not there', async () => {
    const definition: AslDefinition = {
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [{ Variable: '$.done', BooleanEquals: true, Next: 'S' }],
          Default: 'S',
        },
        S: { Type: 'Succeed' },
      },
    };

    const result = await runStateMachine(definition, {}, { lambda: () => undefined });

    expect(result).toMatchObject({ status: 'FAILED', error: STATES_ERRORS.runtime });
  });

  it('passes a direct-ARN task its input as the payload and wraps a lambda:invoke result in Payload', async () => {
    const definition: AslDefinition = {
      StartAt: 'Direct',
      States: {
        Direct: {
          Type: 'Task',
          Resource: fn('double'),
          InputPath: '$.n',
          ResultPath: '$.direct',
          Next: 'Invoke',
        },
        Invoke: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn('double'), 'Payload.$': '$.n' },
          ResultSelector: { 'value.$': '$.Payload', 'status.$': '$.StatusCode' },
          ResultPath: '$.invoked',
          End: true,
        },
      },
    };
    const steps: string[] = [];

    const result = await runStateMachine(
      definition,
      { n: 21 },
      {
        lambda: (step, payload) => {
          steps.push(step);
          return (payload as number) * 2;
        },
      },
    );

    expect(steps).toEqual(['double', 'double']);
    expect(result.output).toEqual({ n: 21, direct: 42, invoked: { value: 42, status: 200 } });
  });

  it("gives each invocation a context counting down from its function's timeout, or from the time a test gives the step", async () => {
    const definition: AslDefinition = {
      StartAt: 'Load',
      States: {
        Load: { Type: 'Task', Resource: fn('load'), ResultPath: null, Next: 'Transform' },
        Transform: { Type: 'Task', Resource: fn('transform'), ResultPath: null, End: true },
      },
    };
    const remaining = new Map<string, number>();
    const contexts = new Map<string, LambdaContext>();

    await runStateMachine(
      definition,
      {},
      {
        lambda: (step, _payload, context) => {
          remaining.set(step, context.getRemainingTimeInMillis());
          contexts.set(step, context);
        },
        lambdaContext: lambdaContextFactory({
          timeoutsMs: new Map([
            ['load', 900_000],
            ['transform', 900_000],
          ]),
          remainingTimeMs: { transform: 5_000 },
        }),
      },
    );

    expect(remaining.get('load')).toBeGreaterThan(899_000);
    expect(remaining.get('load')).toBeLessThanOrEqual(900_000);
    expect(remaining.get('transform')).toBeGreaterThan(4_000);
    expect(remaining.get('transform')).toBeLessThanOrEqual(5_000);
    expect(contexts.get('load')).toMatchObject({ functionName: 'load', invokedFunctionArn: fn('load') });
  });

  it('records a Wait instead of sleeping', async () => {
    const definition: AslDefinition = {
      StartAt: 'Pause',
      States: { Pause: { Type: 'Wait', Seconds: 3600, End: true } },
    };
    const started = Date.now();

    const result = await runStateMachine(definition, { a: 1 }, { lambda: () => undefined });

    expect(result).toMatchObject({ status: 'SUCCEEDED', output: { a: 1 } });
    expect(result.history[0]).toMatchObject({ state: 'Pause', waitSeconds: 3600 });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it(`fails an execution that loops for more than ${MAX_TRANSITIONS} transitions`, async () => {
    const definition: AslDefinition = {
      StartAt: 'Again',
      States: { Again: { Type: 'Pass', Next: 'Again' } },
    };

    const result = await runStateMachine(definition, {}, { lambda: () => undefined });

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe(TRANSITION_LIMIT_ERROR);
    expect(result.history).toHaveLength(MAX_TRANSITIONS);
  });
});

// ---------------------------------------------------------------------------------------------------------

/** A run state as the steps return it; the loop flags say "complete", so the run is the same with or without loops. */
const runState = (overrides: Partial<RunState> = {}): Partial<RunState> => ({
  runId: 'run-1',
  startedAt: '2026-03-01T10:00:00.000Z',
  planKey: 'manifests/run-1/plan.json',
  pendingObjects: 2,
  pendingBytes: 2048,
  objectsLoaded: 0,
  eventsLoaded: 0,
  failedTests: [],
  loadComplete: true,
  transformComplete: true,
  ...overrides,
});

const runOf = (input: Json): Partial<RunState> => (input as unknown as { run: Partial<RunState> }).run;

/** Fake ELT steps that record their calls; `overrides` replace single steps. */
function fakeElt(overrides: Partial<Record<EltStep, EltStepHandler>> = {}) {
  const calls: { step: EltStep; input: Json }[] = [];
  const events: Json[] = [];
  const defaults: Record<EltStep, EltStepHandler> = {
    plan: () => runState(),
    load: (input) => ({ ...runOf(input), objectsLoaded: 2, eventsLoaded: 20, loadComplete: true }),
    transform: (input) => ({ ...runOf(input), transformComplete: true }),
    test: (input) => ({ ...runOf(input), failedTests: [] }),
    publish: (input) => ({ runId: runOf(input).runId, status: 'succeeded' }),
    fail: (input) => ({ runId: runOf(input)?.runId ?? 'run-unplanned', status: 'failed' }),
    compact: () => ({ compactedObjects: 3, complete: true }),
  };
  const handlers = Object.fromEntries(
    ELT_STEPS.map((step) => [
      step,
      (input: Json, context: LambdaContext) => {
        calls.push({ step, input });
        return (overrides[step] ?? defaults[step])(input, context);
      },
    ]),
  ) as Record<EltStep, EltStepHandler>;
  const putEvents = (entries: readonly Json[]): void => {
    events.push(...entries);
  };
  return { calls, events, handlers, putEvents, steps: () => calls.map((c) => c.step) };
}

describe('the synthesized ELT state machine, run by the interpreter', () => {
  let elt: EltDefinition;
  beforeAll(() => {
    elt = loadEltDefinition();
  });

  const execute = (fake: ReturnType<typeof fakeElt>) =>
    executeEltRun({
      elt,
      handlers: fake.handlers,
      putEvents: fake.putEvents,
      run: { executionName: 'exec-1', uuid: () => 'event-1' },
    });

  it('maps every ELT step to its function and exposes the 1 h execution timeout', () => {
    expect([...elt.functionSteps.values()].sort()).toEqual([...ELT_STEPS].sort());
    expect(elt.functionTimeoutsMs.get('load')).toBe(15 * 60_000);
    expect(elt.definition.TimeoutSeconds).toBe(ELT_STATE_MACHINE_TIMEOUT_MS / 1000);
  });

  it('stops in Succeed after the plan when nothing new landed, without loading or publishing', async () => {
    const fake = fakeElt({ plan: () => runState({ nothingNew: true, pendingObjects: 0 }) });

    const result = await execute(fake);

    expect(result.status).toBe('SUCCEEDED');
    expect(fake.steps()).toEqual(['plan']);
    expect(result.history.at(-1)).toMatchObject({ state: 'NothingNew', type: 'Succeed' });
    expect(fake.events).toEqual([]);
  });

  it('stops in Succeed after the plan when another run holds the run lock', async () => {
    const fake = fakeElt({ plan: () => runState({ lockedBy: 'other-run' }) });

    const result = await execute(fake);

    expect(result.status).toBe('SUCCEEDED');
    expect(fake.steps()).toEqual(['plan']);
    expect(result.history.at(-1)).toMatchObject({ state: 'AnotherRunInProgress', type: 'Succeed' });
  });

  it('runs plan → load → transform → test → publish → compact and puts EltRunSucceeded for the run', async () => {
    const fake = fakeElt();

    const result = await execute(fake);

    expect(result.status).toBe('SUCCEEDED');
    expect(fake.steps()).toEqual(['plan', 'load', 'transform', 'test', 'publish', 'compact']);
    expect(fake.calls[0]!.input).toEqual({});
    expect(runOf(fake.calls[2]!.input)).toMatchObject({ objectsLoaded: 2, eventsLoaded: 20 });
    expect(fake.events).toEqual([
      {
        Source: 'elt.pipeline',
        DetailType: 'EltRunSucceeded',
        EventBusName: expect.any(String),
        Detail: {
          eventId: 'event-1',
          runId: 'run-1',
          status: 'succeeded',
          executionArn: result.executionArn,
        },
      },
    ]);
    expect(result.executionArn).toMatch(/^arn:aws:states:eu-west-1:123456789012:execution:.+:exec-1$/);
  });

  it('goes straight to transform when the plan has nothing pending', async () => {
    const fake = fakeElt({ plan: () => runState({ pendingObjects: 0 }) });

    const result = await execute(fake);

    expect(result.status).toBe('SUCCEEDED');
    expect(fake.steps()).toEqual(['plan', 'transform', 'test', 'publish', 'compact']);
  });

  it('fails the execution at CompactionFailed when compaction throws, with the run published and not failed', async () => {
    const fake = fakeElt({
      compact: () => {
        throw namedError('CompactionError', '1 partition(s) left as they were');
      },
    });

    const result = await execute(fake);

    expect(result.status).toBe('FAILED');
    expect(fake.steps()).toEqual(['plan', 'load', 'transform', 'test', 'publish', 'compact']);
    expect(result.history.at(-1)).toMatchObject({ state: 'CompactionFailed', type: 'Fail' });
    expect(fake.events.map((e) => (e as { DetailType: string }).DetailType)).toEqual(['EltRunSucceeded']);
  });

  it('sends a throwing transform down the failure path: fail gets $.error, EltRunFailed is put, the run FAILED', async () => {
    const fake = fakeElt({
      transform: () => {
        throw namedError('WarehouseBusyError', 'the workgroup is at capacity');
      },
    });

    const result = await execute(fake);

    expect(result).toMatchObject({ status: 'FAILED', error: 'EltRunFailed' });
    expect(fake.steps()).toEqual(['plan', 'load', 'transform', 'fail']);
    const failInput = fake.calls.at(-1)!.input as unknown as {
      run: Partial<RunState>;
      error: { Error: string; Cause: string };
    };
    expect(failInput.run).toMatchObject({ runId: 'run-1', objectsLoaded: 2 });
    expect(failInput.error.Error).toBe('WarehouseBusyError');
    expect(JSON.parse(failInput.error.Cause)).toMatchObject({
      errorType: 'WarehouseBusyError',
      errorMessage: 'the workgroup is at capacity',
    });
    expect(fake.events).toEqual([
      expect.objectContaining({
        DetailType: 'EltRunFailed',
        Detail: { eventId: 'event-1', runId: 'run-1', status: 'failed', executionArn: result.executionArn },
      }),
    ]);
  });

  it('sends failing data tests down the failure path unpublished, with no error', async () => {
    const fake = fakeElt({ test: (input) => ({ ...runOf(input), failedTests: ['orders_not_null'] }) });

    const result = await execute(fake);

    expect(result).toMatchObject({ status: 'FAILED', error: 'EltRunFailed' });
    expect(fake.steps()).toEqual(['plan', 'load', 'transform', 'test', 'fail']);
    expect(fake.calls.at(-1)!.input).not.toHaveProperty('error');
    expect(fake.events).toEqual([expect.objectContaining({ DetailType: 'EltRunFailed' })]);
  });

  it('retries a Lambda service exception of a step with the back-off of the definition', async () => {
    let transforms = 0;
    const fake = fakeElt({
      transform: (input) => {
        transforms++;
        if (transforms === 1) throw namedError('Lambda.ServiceException', 'transient');
        return { ...runOf(input), transformComplete: true };
      },
    });

    const result = await execute(fake);

    expect(result.status).toBe('SUCCEEDED');
    expect(result.history.find((h) => h.state === 'Run-transform')).toMatchObject({
      attempts: 2,
      retries: [{ error: 'Lambda.ServiceException', waitSeconds: 2 }],
    });
  });
});
