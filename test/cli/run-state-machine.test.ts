import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  type DescribeExecutionOutput,
  type ExecutionStatus,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ELT_END_STATES } from '../../lib/adapters/workflow/execution-history.js';
import { main } from '../../lib/cli/program.js';
import type { RunRecord } from '../../lib/core/ports.js';
import { synthesize } from '../support/cdk-app.js';

// No AWS here: the exact Step Functions requests `elt run --state-machine` sends, and what it makes of
// the answers, are what is checked. The clock is faked, so polling waits cost no time.
const sfn = mockClient(SFNClient);

const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:elt-dev-elt';
const EXECUTIONS = 'arn:aws:states:eu-west-1:123456789012:execution:elt-dev-elt';
const T0 = new Date('2026-12-02T10:00:00.000Z');
const RUN_ID = 'run-20261202T100001Z-a1b2c3';
const HOLDER = 'run-20261202T095500Z-0f0f0f';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'elt-run-sfn-'));
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});
beforeEach(() => {
  vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  sfn.reset();
  vi.useRealTimers();
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** Runs `elt run …` in-process, advancing the fake clock until it returns. */
async function eltRun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout.push(String(chunk));
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr.push(String(chunk));
    return true;
  });
  let settled = false;
  const running = main(['node', 'elt', 'run', ...args]).finally(() => (settled = true));
  for (let i = 0; !settled && i < 100_000; i++) await vi.advanceTimersByTimeAsync(250);
  return { code: await running, stdout: stdout.join(''), stderr: stderr.join('') };
}

/** A history as Step Functions writes it for the ELT state machine; `at` is seconds after the start. */
class History {
  readonly events: HistoryEvent[] = [];
  private at = 0;

  private add(type: HistoryEvent['type'], details: Partial<HistoryEvent> = {}): this {
    const id = this.events.length + 1;
    this.events.push({
      id,
      previousEventId: id - 1,
      type,
      timestamp: new Date(T0.getTime() + this.at * 1000),
      ...details,
    });
    return this;
  }

  started(): this {
    return this.add('ExecutionStarted', { executionStartedEventDetails: { input: '{}' } });
  }

  /** A Lambda task state `Run-<step>` that returns `output` (payloadResponseOnly: LambdaFunction* events). */
  step(step: string, seconds: number, output: unknown): this {
    const name = `Run-${step}`;
    this.add('TaskStateEntered', { stateEnteredEventDetails: { name, input: '{}' } });
    this.add('LambdaFunctionScheduled');
    this.add('LambdaFunctionStarted');
    this.at += seconds;
    this.add('LambdaFunctionSucceeded', {
      lambdaFunctionSucceededEventDetails: { output: JSON.stringify(output) },
    });
    return this.add('TaskStateExited', { stateExitedEventDetails: { name, output: '{}' } });
  }

  /** A Lambda task state that fails with a Lambda error (caught: the state machine goes to Run-fail). */
  failingStep(step: string, seconds: number, errorType: string, errorMessage: string): this {
    this.add('TaskStateEntered', { stateEnteredEventDetails: { name: `Run-${step}`, input: '{}' } });
    this.add('LambdaFunctionScheduled');
    this.add('LambdaFunctionStarted');
    this.at += seconds;
    return this.add('LambdaFunctionFailed', {
      lambdaFunctionFailedEventDetails: {
        error: errorType,
        cause: JSON.stringify({ errorType, errorMessage, trace: [`${errorType}: ${errorMessage}`] }),
      },
    });
  }

  choice(name: string): this {
    this.add('ChoiceStateEntered', { stateEnteredEventDetails: { name, input: '{}' } });
    return this.add('ChoiceStateExited', { stateExitedEventDetails: { name, output: '{}' } });
  }

  succeedIn(name: string, output: unknown): this {
    this.add('SucceedStateEntered', { stateEnteredEventDetails: { name, input: JSON.stringify(output) } });
    return this.add('ExecutionSucceeded', {
      executionSucceededEventDetails: { output: JSON.stringify(output) },
    });
  }

  failIn(name: string, error: string, cause: string): this {
    this.add('FailStateEntered', { stateEnteredEventDetails: { name, input: '{}' } });
    return this.add('ExecutionFailed', { executionFailedEventDetails: { error, cause } });
  }

  /** Seconds from the start to the last event. */
  get seconds(): number {
    return this.at;
  }
}

const plan = (extra: Record<string, unknown> = {}) => ({
  runId: RUN_ID,
  startedAt: T0.toISOString(),
  planKey: `manifests/run_20261202T100001Z_a1b2c3/plan.json`,
  pendingObjects: 3,
  pendingBytes: 3000,
  objectsLoaded: 0,
  eventsLoaded: 0,
  models: [],
  tests: [],
  failedTests: [],
  ...extra,
});

const published: RunRecord = {
  runId: RUN_ID,
  status: 'succeeded',
  startedAt: T0.toISOString(),
  finishedAt: new Date(T0.getTime() + 42_000).toISOString(),
  durationMs: 42_000,
  objectsLoaded: 3,
  eventsLoaded: 1234,
  models: [
    { name: 'stg_events', rows: 1234, ms: 800 },
    { name: 'mart_daily_active_users', rows: 7, ms: 300 },
  ],
  tests: [
    { name: 'stg_events_unique_event_id', failures: 0 },
    { name: 'mart_daily_active_users_not_null', failures: 0 },
  ],
};

/**
 * plan → load → load → transform → transform → test → publish → RunSucceeded: load and transform each
 * report that they have more to do once (the LoadComplete and TransformComplete loops).
 */
function loadsTwiceAndSucceeds(): History {
  return new History()
    .started()
    .step('plan', 1, plan())
    .choice('AnythingNew')
    .choice('AnythingToLoad')
    .step('load', 5, plan({ objectsLoaded: 2, eventsLoaded: 800, loadComplete: false }))
    .choice('LoadComplete')
    .step('load', 3, plan({ objectsLoaded: 3, eventsLoaded: 1234, loadComplete: true }))
    .choice('LoadComplete')
    .step('transform', 10, plan({ objectsLoaded: 3, eventsLoaded: 1234, transformComplete: false }))
    .choice('TransformComplete')
    .step('transform', 10, plan({ objectsLoaded: 3, eventsLoaded: 1234, transformComplete: true }))
    .choice('TransformComplete')
    .step('test', 8, plan({ objectsLoaded: 3, eventsLoaded: 1234 }))
    .choice('TestsPassed')
    .step('publish', 5, published)
    .succeedIn('RunSucceeded', { run: published });
}

/**
 * Plays one execution: DescribeExecution says RUNNING for `runningPolls` polls, then `status`; the
 * history grows with the polls and is served in pages of `pageSize` events.
 */
function playExecution(
  history: History,
  options: {
    status: ExecutionStatus;
    runningPolls?: number;
    pageSize?: number;
    describe?: Partial<DescribeExecutionOutput>;
  },
): void {
  const runningPolls = options.runningPolls ?? 2;
  const pageSize = options.pageSize ?? 1000;
  let polls = 0;
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => ({
    executionArn: `${EXECUTIONS}:${input.name}`,
    startDate: T0,
  }));
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => {
    polls++;
    const base = { executionArn: input.executionArn, stateMachineArn: STATE_MACHINE, startDate: T0 };
    if (polls <= runningPolls) return { ...base, status: 'RUNNING' };
    return {
      ...base,
      status: options.status,
      stopDate: new Date(T0.getTime() + history.seconds * 1000),
      ...options.describe,
    };
  });
  sfn.on(GetExecutionHistoryCommand).callsFake((input: { nextToken?: string }) => {
    const visible =
      polls > runningPolls
        ? history.events
        : history.events.slice(0, Math.ceil((history.events.length * polls) / (runningPolls + 1)));
    const from = input.nextToken ? Number(input.nextToken) : 0;
    const next = from + pageSize < visible.length ? String(from + pageSize) : undefined;
    return { events: visible.slice(from, from + pageSize), ...(next ? { nextToken: next } : {}) };
  });
}

/** The lines of stderr that report a step or an end state: `   12.0 s  load #2` → `load #2`. */
function stepLines(stderr: string): string[] {
  return stderr
    .split('\n')
    .map((line) => /^\s+\d+\.\d s {2}(.+)$/.exec(line)?.[1])
    .filter((label): label is string => label !== undefined);
}

describe('elt run --state-machine: the requests', () => {
  it('starts one execution of the state machine with input {} and a recognisable elt-cli name', async () => {
    playExecution(loadsTwiceAndSucceeds(), { status: 'SUCCEEDED', runningPolls: 0 });

    await eltRun('--state-machine', STATE_MACHINE);

    const starts = sfn.commandCalls(StartExecutionCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]!.args[0].input).toStrictEqual({
      stateMachineArn: STATE_MACHINE,
      name: expect.stringMatching(/^elt-cli-20261202T100000Z-[0-9a-f]{6}$/),
      input: '{}',
    });
  });

  it('describes the execution it started, and only that one', async () => {
    playExecution(loadsTwiceAndSucceeds(), { status: 'SUCCEEDED', runningPolls: 2 });

    await eltRun('--state-machine', STATE_MACHINE);

    const name = (sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input as { name: string }).name;
    const describes = sfn.commandCalls(DescribeExecutionCommand).map((c) => c.args[0].input);
    expect(describes).toStrictEqual([
      { executionArn: `${EXECUTIONS}:${name}` },
      { executionArn: `${EXECUTIONS}:${name}` },
      { executionArn: `${EXECUTIONS}:${name}` },
    ]);
  });

  it('reads the whole history in order, page after page with nextToken', async () => {
    const history = loadsTwiceAndSucceeds();
    playExecution(history, { status: 'SUCCEEDED', runningPolls: 0, pageSize: 20 });

    const run = await eltRun('--state-machine', STATE_MACHINE);

    const name = (sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input as { name: string }).name;
    const executionArn = `${EXECUTIONS}:${name}`;
    const pages = Math.ceil(history.events.length / 20);
    expect(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input)).toStrictEqual(
      Array.from({ length: pages }, (_, i) => ({
        executionArn,
        reverseOrder: false,
        maxResults: 1000,
        ...(i > 0 ? { nextToken: String(i * 20) } : {}),
      })),
    );
    // The publish step's record is on the last page: it was read.
    expect(run.stdout).toContain(`run ${RUN_ID}: SUCCEEDED`);
  });

  it('polls with backoff from 1 s doubling up to 5 s, never in a busy loop', async () => {
    playExecution(new History().started(), { status: 'SUCCEEDED', runningPolls: 1_000 });
    const polledAt: number[] = [];
    sfn.on(DescribeExecutionCommand).callsFake(() => {
      polledAt.push((Date.now() - T0.getTime()) / 1000);
      return { status: 'RUNNING', startDate: T0 };
    });

    await eltRun('--state-machine', STATE_MACHINE, '--timeout', '20');

    // 1, 2, 4, then 5 s apart; the last wait is cut short by the deadline.
    expect(polledAt).toStrictEqual([0, 1, 3, 7, 12, 17, 20]);
  });
});

describe('elt run --state-machine: the outcome', () => {
  it('prints each step as the execution enters it, load and transform once per pass, then the end state', async () => {
    playExecution(loadsTwiceAndSucceeds(), { status: 'SUCCEEDED', runningPolls: 3 });

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(stepLines(run.stderr)).toStrictEqual([
      'plan',
      'load',
      'load #2',
      'transform',
      'transform #2',
      'test',
      'publish',
      'RunSucceeded',
    ]);
    expect(run.stderr).toMatch(
      /^started arn:aws:states:eu-west-1:123456789012:execution:elt-dev-elt:elt-cli-/m,
    );
  });

  it('ends a succeeded run with its summary and the execution ARN, exit 0', async () => {
    playExecution(loadsTwiceAndSucceeds(), { status: 'SUCCEEDED' });

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`run ${RUN_ID}: SUCCEEDED in 42.0 s — loaded 3 objects, 1,234 events`);
    expect(run.stdout).toMatch(/stg_events\s+1,234/);
    expect(run.stdout).toMatch(/mart_daily_active_users\s+7/);
    expect(run.stdout).toContain('data tests: 2/2 passed');
    expect(run.stdout).toMatch(/execution elt-cli-\S+: RunSucceeded \(SUCCEEDED\) in 42\.0 s/);
    expect(run.stdout).toMatch(
      /^ {2}arn:aws:states:eu-west-1:123456789012:execution:elt-dev-elt:elt-cli-\S+$/m,
    );
  });

  it('with --json prints one line: the execution ARN, status, end state and the published run record', async () => {
    playExecution(loadsTwiceAndSucceeds(), { status: 'SUCCEEDED' });

    const run = await eltRun('--state-machine', STATE_MACHINE, '--json');

    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const name = (sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input as { name: string }).name;
    expect(JSON.parse(lines[0]!)).toStrictEqual({
      executionArn: `${EXECUTIONS}:${name}`,
      status: 'SUCCEEDED',
      endState: 'RunSucceeded',
      run: published,
    });
    expect(stepLines(run.stderr)).toStrictEqual([]);
  });

  it('says nothing was new and exits 0 when the plan found nothing landed since the last published run', async () => {
    const nothing = plan({ pendingObjects: 0, pendingBytes: 0, planKey: '', nothingNew: true });
    playExecution(
      new History()
        .started()
        .step('plan', 1, nothing)
        .choice('AnythingNew')
        .succeedIn('NothingNew', { run: nothing }),
      { status: 'SUCCEEDED' },
    );

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(run.code).toBe(0);
    expect(stepLines(run.stderr)).toStrictEqual(['plan', 'NothingNew']);
    expect(run.stdout).toContain('nothing new: nothing was landed since the last published run');
    expect(run.stdout).toMatch(/execution elt-cli-\S+: NothingNew \(SUCCEEDED\)/);
  });

  it('exits 1 and names the run holding the lock when the execution ended in AnotherRunInProgress', async () => {
    const locked = plan({ pendingObjects: 0, pendingBytes: 0, planKey: '', lockedBy: HOLDER });
    playExecution(
      new History()
        .started()
        .step('plan', 1, locked)
        .choice('AnythingNew')
        .succeedIn('AnotherRunInProgress', { run: locked }),
      { status: 'SUCCEEDED' },
    );

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(run.code).toBe(1);
    expect(run.stdout).toContain(`another run holds the run lock: ${HOLDER}.`);
    expect(run.stdout).toContain('changed nothing');
  });

  it('names the lock holder in --json too', async () => {
    const locked = plan({ pendingObjects: 0, pendingBytes: 0, planKey: '', lockedBy: HOLDER });
    playExecution(
      new History()
        .started()
        .step('plan', 1, locked)
        .choice('AnythingNew')
        .succeedIn('AnotherRunInProgress', { run: locked }),
      { status: 'SUCCEEDED' },
    );

    const run = await eltRun('--state-machine', STATE_MACHINE, '--json');

    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      status: 'SUCCEEDED',
      endState: 'AnotherRunInProgress',
      lockedBy: HOLDER,
    });
  });

  describe('a failed run', () => {
    const failed: RunRecord = {
      ...published,
      status: 'failed',
      objectsLoaded: 0,
      eventsLoaded: 0,
      models: [],
      tests: [],
      durationMs: 7_000,
      error: 'StatementFailedError: statement s-1 failed: permission denied for relation raw_events',
    };
    const failingLoad = (): History =>
      new History()
        .started()
        .step('plan', 1, plan())
        .choice('AnythingNew')
        .choice('AnythingToLoad')
        .failingStep(
          'load',
          4,
          'StatementFailedError',
          'statement s-1 failed: permission denied for relation raw_events',
        )
        .step('fail', 2, failed)
        .failIn(
          'RunFailed',
          'EltRunFailed',
          'An ELT step failed; see the run history and the EltRunFailed event.',
        );

    it('exits 1 showing the step that failed, its error and its cause', async () => {
      playExecution(failingLoad(), { status: 'FAILED' });

      const run = await eltRun('--state-machine', STATE_MACHINE);

      expect(run.code).toBe(1);
      expect(stepLines(run.stderr)).toStrictEqual(['plan', 'load', 'fail', 'RunFailed']);
      expect(run.stdout).toContain(`run ${RUN_ID}: FAILED`);
      expect(run.stdout).toMatch(/execution elt-cli-\S+: RunFailed \(FAILED\) in 7\.0 s — Run-load failed/);
      expect(run.stdout).toContain('  error: StatementFailedError\n');
      expect(run.stdout).toContain(
        '  cause: statement s-1 failed: permission denied for relation raw_events\n',
      );
    });

    it('with --json carries the fail step run record, the error and the cause', async () => {
      playExecution(failingLoad(), { status: 'FAILED' });

      const run = await eltRun('--state-machine', STATE_MACHINE, '--json');

      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({
        status: 'FAILED',
        endState: 'RunFailed',
        run: failed,
        error: 'StatementFailedError',
        cause: 'statement s-1 failed: permission denied for relation raw_events',
      });
    });

    it('takes the cause from the fail step run record when the data tests failed (no step error)', async () => {
      const testsFailed: RunRecord = {
        ...published,
        status: 'failed',
        error: 'data tests failed (nothing published): stg_events_unique_event_id',
      };
      playExecution(
        new History()
          .started()
          .step('plan', 1, plan())
          .choice('AnythingNew')
          .choice('AnythingToLoad')
          .step('load', 2, plan())
          .step('transform', 2, plan())
          .step('test', 2, plan({ failedTests: ['stg_events_unique_event_id'] }))
          .choice('TestsPassed')
          .step('fail', 1, testsFailed)
          .failIn(
            'RunFailed',
            'EltRunFailed',
            'An ELT step failed; see the run history and the EltRunFailed event.',
          ),
        { status: 'FAILED' },
      );

      const run = await eltRun('--state-machine', STATE_MACHINE, '--json');

      expect(run.code).toBe(1);
      expect(JSON.parse(run.stdout)).toMatchObject({
        endState: 'RunFailed',
        error: 'EltRunFailed',
        cause: 'data tests failed (nothing published): stg_events_unique_event_id',
      });
    });

    it('reports the step that failed, not an earlier error a retry turned into a success', async () => {
      const history = failingLoad();
      // Lambda.ServiceException on the plan's first attempt: the state machine retried it, and it succeeded.
      const planStarted = history.events.findIndex((e) => e.type === 'LambdaFunctionStarted');
      history.events.splice(
        planStarted + 1,
        0,
        {
          id: 0,
          type: 'LambdaFunctionFailed',
          timestamp: T0,
          lambdaFunctionFailedEventDetails: { error: 'Lambda.ServiceException', cause: 'try again' },
        },
        { id: 0, type: 'LambdaFunctionScheduled', timestamp: T0 },
        { id: 0, type: 'LambdaFunctionStarted', timestamp: T0 },
      );
      history.events.forEach((e, i) => (e.id = i + 1));
      playExecution(history, { status: 'FAILED' });

      const run = await eltRun('--state-machine', STATE_MACHINE, '--json');

      expect(JSON.parse(run.stdout)).toMatchObject({
        error: 'StatementFailedError',
        cause: 'statement s-1 failed: permission denied for relation raw_events',
      });
    });
  });

  it('after --timeout says the execution is still running, prints its ARN, exits 2 and does not stop it', async () => {
    playExecution(new History().started().step('plan', 1, plan()), {
      status: 'SUCCEEDED',
      runningPolls: 1_000,
    });

    const run = await eltRun('--state-machine', STATE_MACHINE, '--timeout', '30');

    expect(run.code).toBe(2);
    const name = (sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input as { name: string }).name;
    expect(run.stdout).toContain(`execution ${name} is still running after 30 s; it was not stopped`);
    expect(run.stdout).toContain(`  ${EXECUTIONS}:${name}\n`);
    expect(sfn.commandCalls(StopExecutionCommand)).toHaveLength(0);
    expect(Date.now() - T0.getTime()).toBeLessThan(31_000);
  });

  it('after --timeout with --json reports status RUNNING and no end state', async () => {
    playExecution(new History().started(), { status: 'SUCCEEDED', runningPolls: 1_000 });

    const run = await eltRun('--state-machine', STATE_MACHINE, '--timeout', '5', '--json');

    expect(run.code).toBe(2);
    expect(JSON.parse(run.stdout)).toStrictEqual({
      executionArn: expect.stringMatching(
        /^arn:aws:states:eu-west-1:123456789012:execution:elt-dev-elt:elt-cli-/,
      ),
      status: 'RUNNING',
      endState: null,
    });
  });

  it('follows for 3,900 s by default: the state machine timeout plus 5 minutes', async () => {
    playExecution(new History().started(), { status: 'SUCCEEDED', runningPolls: 1_000_000 });

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(run.code).toBe(2);
    expect(run.stdout).toContain('is still running after 3,900 s');
    expect(Date.now() - T0.getTime()).toBeGreaterThanOrEqual(3_900_000);
    expect(Date.now() - T0.getTime()).toBeLessThan(3_905_000);
  });
});

describe('elt run --outputs', () => {
  it('starts the state machine named by the StateMachineArn output of the stateless stack', async () => {
    const file = join(work, 'outputs.json');
    await writeFile(
      file,
      JSON.stringify({
        'elt-dev-stateful': { BusName: 'elt-dev-bus', RawBucketName: 'raw' },
        'elt-dev-stateless': { StateMachineArn: STATE_MACHINE, DashboardName: 'elt-dev-pipeline' },
      }),
    );
    playExecution(loadsTwiceAndSucceeds(), { status: 'SUCCEEDED' });

    const run = await eltRun('--outputs', file);

    expect(run.code).toBe(0);
    expect(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input).toMatchObject({
      stateMachineArn: STATE_MACHINE,
    });
  });

  it('refuses an outputs file without StateMachineArn, naming the stacks it has', async () => {
    const file = join(work, 'stateful-only.json');
    await writeFile(file, JSON.stringify({ 'elt-dev-stateful': { BusName: 'elt-dev-bus' } }));

    const run = await eltRun('--outputs', file);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `elt: --outputs: ${file} has no StateMachineArn output (its stacks: elt-dev-stateful); it is an output of the stateless stack: npx cdk deploy --all --outputs-file ${file}\n`,
    );
    expect(sfn.calls()).toHaveLength(0);
  });
});

describe('elt run --state-machine: errors in one line', () => {
  it('refuses an ARN that is not a state machine ARN before calling AWS', async () => {
    const run = await eltRun('--state-machine', `${EXECUTIONS}:elt-cli-1`);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /^elt: --state-machine: "[^"]+" is not a state machine ARN: expected arn:aws:states:<region>:<account>:stateMachine:<name>.*\n$/,
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('says the state machine does not exist, in which account and region', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }));

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `elt: state machine ${STATE_MACHINE} does not exist in account 123456789012, region eu-west-1: deploy the stateless stack (npx cdk deploy --all), or check the ARN against its StateMachineArn output\n`,
    );
  });

  it.each([
    ['states:StartExecution', (e: Error) => sfn.on(StartExecutionCommand).rejects(e), false],
    ['states:DescribeExecution', (e: Error) => sfn.on(DescribeExecutionCommand).rejects(e), true],
    ['states:GetExecutionHistory', (e: Error) => sfn.on(GetExecutionHistoryCommand).rejects(e), true],
  ] as const)('names %s when access to it is denied', async (action, deny, started) => {
    playExecution(loadsTwiceAndSucceeds(), { status: 'SUCCEEDED' });
    deny(
      Object.assign(
        new Error(`User: arn:aws:iam::123456789012:user/alice is not authorized to perform: ${action}`),
        { name: 'AccessDeniedException' },
      ),
    );

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.startsWith('elt: '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`elt: access denied: your AWS identity may not call ${action} on `);
    expect(lines[0]).toContain(
      'needs states:StartExecution, states:DescribeExecution, states:GetExecutionHistory on the state machine',
    );
    if (started)
      expect(lines[0]).toMatch(
        /The execution arn:\S+:execution:elt-dev-elt:elt-cli-\S+ was started and goes on by itself/,
      );
    else expect(lines[0]).not.toContain('was started');
  });

  it('says no credentials were found, the way the other AWS commands do', async () => {
    sfn.on(StartExecutionCommand).rejects(
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    );

    const run = await eltRun('--state-machine', STATE_MACHINE);

    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^elt: starting arn:\S+: no AWS credentials found\. .*\n$/);
  });
});

describe('elt run --state-machine: options that cannot go together', () => {
  it.each([
    [['--warehouse', 'redshift-data://workgroup/elt-dev-warehouse/analytics'], '--warehouse'],
    [['--store', 's3://raw/'], '--store'],
    [['--full-refresh'], '--full-refresh'],
    [['--wait-for-warehouse', '60'], '--wait-for-warehouse'],
  ])('refuses %j: the deployed workflow uses its own configuration', async (extra, flag) => {
    const run = await eltRun('--state-machine', STATE_MACHINE, ...extra);

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `elt: ${flag} cannot be used with --state-machine: the deployed workflow runs with its own configuration (the warehouse, raw bucket and settings it was deployed with); drop ${flag}, or run locally without --state-machine\n`,
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses --warehouse with --outputs for the same reason', async () => {
    const run = await eltRun('--outputs', 'outputs.json', '--warehouse', 'duckdb');

    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      '--warehouse cannot be used with --outputs: the deployed workflow runs with its own configuration',
    );
  });

  it('refuses --state-machine together with --outputs', async () => {
    const run = await eltRun('--state-machine', STATE_MACHINE, '--outputs', 'outputs.json');

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'elt: --state-machine and --outputs both name the state machine to start: pass one of them\n',
    );
    expect(sfn.calls()).toHaveLength(0);
  });

  it('refuses --timeout on a local run, where nothing is followed', async () => {
    const run = await eltRun('--timeout', '60', '--data-dir', join(work, 'no-such-dir'));

    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'elt: --timeout applies to a run on AWS: use it with --state-machine or --outputs\n',
    );
  });
});

describe('the states elt run --state-machine knows', () => {
  it('are the end states and Run-<step> task states of the deployed definition', () => {
    const sm = Object.values(
      synthesize().statelessTemplate.findResources('AWS::StepFunctions::StateMachine'),
    )[0] as { Properties: { DefinitionString: { 'Fn::Join': [string, unknown[]] } } };
    // The definition is a join of text and tokens (function ARNs): a placeholder per token makes it JSON.
    const text = sm.Properties.DefinitionString['Fn::Join'][1]
      .map((part) => (typeof part === 'string' ? part : 'TOKEN'))
      .join('');
    const states = Object.entries(
      (JSON.parse(text) as { States: Record<string, { Type: string; Resource?: string }> }).States,
    );

    expect(
      states
        .filter(([, s]) => s.Type === 'Succeed' || s.Type === 'Fail')
        .map(([name]) => name)
        .sort(),
    ).toStrictEqual([...ELT_END_STATES].sort());
    expect(
      states
        .filter(([, s]) => s.Type === 'Task' && s.Resource === 'TOKEN')
        .map(([name]) => name)
        .sort(),
    ).toStrictEqual([
      'Run-compact',
      'Run-fail',
      'Run-load',
      'Run-plan',
      'Run-publish',
      'Run-test',
      'Run-transform',
    ]);
  });
});
