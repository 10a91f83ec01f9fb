import { randomBytes } from 'node:crypto';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { RunState } from '../../core/elt/elt-steps.js';
import type { RunRecord } from '../../core/ports.js';
import { sleep } from '../../core/util/retry.js';
import { EltExecutionHistory, type ExecutionProgress, type StateFailure } from './execution-history.js';
import { EltError } from '../../core/util/errors.js';

/** A state machine ARN: `arn:<partition>:states:<region>:<account>:stateMachine:<name>`. */
const STATE_MACHINE_ARN =
  /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):stateMachine:([A-Za-z0-9_-]{1,80})$/;

/** The parts of a state machine ARN. */
export interface StateMachineArn {
  readonly arn: string;
  readonly region: string;
  readonly account: string;
  readonly name: string;
}

/** A string that is not a state machine ARN (an execution's, another service's, a name). */
export class StateMachineArnError extends EltError {
  constructor(readonly value: string) {
    super(
      `${JSON.stringify(value)} is not a state machine ARN: expected arn:aws:states:<region>:<account>:stateMachine:<name> (the stateless stack's StateMachineArn output)`,
    );
  }
}

/** Parses a state machine ARN, or throws {@link StateMachineArnError}. */
export function parseStateMachineArn(value: string): StateMachineArn {
  const m = STATE_MACHINE_ARN.exec(value);
  if (!m) throw new StateMachineArnError(value);
  return { arn: value, region: m[2]!, account: m[3]!, name: m[4]! };
}

/** The state machine does not exist (or not in that account and region). */
export class StateMachineNotFoundError extends EltError {
  constructor(
    readonly stateMachineArn: string,
    options?: ErrorOptions,
  ) {
    super(`state machine ${stateMachineArn} does not exist`, options);
  }
}

/** The caller's IAM identity may not call `action` (`states:StartExecution`, …) on `resource`. */
export class WorkflowAccessDeniedError extends EltError {
  constructor(
    readonly action: string,
    readonly resource: string,
    options?: ErrorOptions,
  ) {
    super(`access denied: your AWS identity may not call ${action} on ${resource}`, options);
  }
}

/** The actions following an ELT execution needs, in the order it makes them. */
export const WORKFLOW_ACTIONS = [
  'states:StartExecution',
  'states:DescribeExecution',
  'states:GetExecutionHistory',
] as const;

/** How {@link runEltStateMachine} waits between polls. */
export interface PollTiming {
  /** First wait between polls, doubled up to `maxMs`. @default 1000 */
  readonly initialMs?: number;
  /** @default 5000 */
  readonly maxMs?: number;
  /** Injected for tests. @default Date.now */
  readonly now?: () => number;
  /** Injected for tests. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** What {@link runEltStateMachine} needs. */
export interface EltStateMachineRunOptions extends PollTiming {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  /** Stop following after this long; the execution is left running. */
  readonly timeoutMs: number;
  /** @default elt-cli-<timestamp>-<random> */
  readonly executionName?: string;
  /** Called once the execution has started: from here on, it runs whatever happens to the caller. */
  readonly onStarted?: (executionArn: string) => void;
  readonly onProgress?: (progress: ExecutionProgress) => void;
}

/** How an execution ended, or that it was still running when following it stopped. */
export interface EltStateMachineRun {
  readonly executionArn: string;
  /** RUNNING when `timeoutMs` passed first. */
  readonly status: ExecutionStatus;
  /** The Succeed or Fail state it ended in (`RunSucceeded`, `NothingNew`, …), if it entered one. */
  readonly endState?: string;
  /** The run record of the publish or fail step. */
  readonly run?: RunRecord;
  /** The plan step's output: the run id, and `nothingNew` or `lockedBy` when the run stopped early. */
  readonly plan?: Partial<RunState>;
  /** For a failed execution: the state that failed and its error. */
  readonly failure?: StateFailure;
  readonly startedAt: Date;
  readonly stoppedAt?: Date;
}

/** A recognisable execution name: `elt-cli-20261202T204200Z-1a2b3c`. */
export function cliExecutionName(now: Date): string {
  return `elt-cli-${now.toISOString().replace(/[-:]/g, '').slice(0, 15)}Z-${randomBytes(3).toString('hex')}`;
}

const TERMINAL = new Set<string>(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/**
 * Starts an execution of the ELT state machine and follows it to its end: the run then happens as the
 * pipeline's runner role, the one database user that owns the pipeline's tables. Polls DescribeExecution
 * with backoff and reads the history for each step as it begins. After `timeoutMs` it returns with status
 * RUNNING and leaves the execution running: it owns the run lock, and stopping it would skip its fail
 * step.
 */
export async function runEltStateMachine(options: EltStateMachineRunOptions): Promise<EltStateMachineRun> {
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const maxMs = options.maxMs ?? 5000;
  const started = await call('states:StartExecution', options.stateMachineArn, () =>
    options.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: options.stateMachineArn,
        name: options.executionName ?? cliExecutionName(new Date(now())),
        input: '{}',
      }),
    ),
  );
  const executionArn = started.executionArn!;
  options.onStarted?.(executionArn);
  const deadline = now() + options.timeoutMs;
  const history = new EltExecutionHistory();
  let delay = options.initialMs ?? 1000;
  for (;;) {
    const execution = await call('states:DescribeExecution', executionArn, () =>
      options.sfn.send(new DescribeExecutionCommand({ executionArn })),
    );
    // Read after describing: once the execution has ended, its history is complete.
    for (const p of await readHistory(options.sfn, executionArn, history)) options.onProgress?.(p);
    const status = execution.status ?? 'RUNNING';
    const left = deadline - now();
    if (TERMINAL.has(status) || left <= 0) return outcome(executionArn, status, execution, history, started);
    await wait(Math.min(delay, left));
    delay = Math.min(delay * 2, maxMs);
  }
}

/** Reads every page of the history, handing the events not seen before to `history`. */
async function readHistory(
  sfn: SFNClient,
  executionArn: string,
  history: EltExecutionHistory,
): Promise<ExecutionProgress[]> {
  const progress: ExecutionProgress[] = [];
  let nextToken: string | undefined;
  do {
    const page = await call('states:GetExecutionHistory', executionArn, () =>
      sfn.send(
        new GetExecutionHistoryCommand({
          executionArn,
          reverseOrder: false,
          // The most a page holds: an ELT execution's history (a few hundred events) is one page.
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      ),
    );
    progress.push(...history.read(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return progress;
}

function outcome(
  executionArn: string,
  status: string,
  execution: DescribeExecutionCommandOutput,
  history: EltExecutionHistory,
  started: { startDate?: Date },
): EltStateMachineRun {
  // The run state travels in `$.run`: for an execution that stopped after its plan, its output holds it.
  const output = parseOutput(execution.output);
  const plan = history.plan ?? output;
  const failure = TERMINAL.has(status) && status !== 'SUCCEEDED' ? failureOf(execution, history) : undefined;
  return {
    executionArn,
    status: status as ExecutionStatus,
    ...(history.endState ? { endState: history.endState } : {}),
    ...(history.run ? { run: history.run } : {}),
    ...(plan ? { plan } : {}),
    ...(failure ? { failure } : {}),
    startedAt: execution.startDate ?? started.startDate ?? new Date(),
    ...(execution.stopDate ? { stoppedAt: execution.stopDate } : {}),
  };
}

/**
 * Why an execution did not succeed: the step that failed and its error; else (failing data tests are not
 * a step error) the execution's error with the reason the fail step recorded.
 */
function failureOf(
  execution: DescribeExecutionCommandOutput,
  history: EltExecutionHistory,
): StateFailure | undefined {
  if (history.failure) return history.failure;
  const ended = history.executionFailure ?? {
    ...(execution.error ? { error: execution.error } : {}),
    ...(execution.cause ? { cause: execution.cause } : {}),
  };
  const cause = history.run?.error ?? ended.cause;
  return ended.error || cause ? { ...ended, ...(cause ? { cause } : {}) } : undefined;
}

function parseOutput(output: string | undefined): Partial<RunState> | undefined {
  if (!output) return undefined;
  try {
    const run = (JSON.parse(output) as { run?: unknown }).run;
    return typeof run === 'object' && run !== null ? (run as Partial<RunState>) : undefined;
  } catch {
    return undefined;
  }
}

/** Sends one request, turning the errors a user can act on into typed errors that name the action. */
async function call<T>(action: string, resource: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'AccessDeniedException' || name === 'AccessDenied')
      throw new WorkflowAccessDeniedError(action, resource, { cause: error });
    if (name === 'StateMachineDoesNotExist') throw new StateMachineNotFoundError(resource, { cause: error });
    if (name === 'InvalidArn' && action === 'states:StartExecution') throw new StateMachineArnError(resource);
    throw error;
  }
}
