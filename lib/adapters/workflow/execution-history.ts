import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { RunState } from '../../core/elt/elt-steps.js';
import type { RunRecord } from '../../core/ports.js';

/**
 * The states an ELT execution ends in, as lib/infra/constructs/elt-orchestration.ts names them: the
 * Succeed states `RunSucceeded`, `NothingNew` (nothing landed since the last published run) and
 * `AnotherRunInProgress` (another run holds the run lock), and the Fail states `RunFailed` and
 * `CompactionFailed` (the run was published; compacting closed raw partitions after it failed).
 */
export const ELT_END_STATES = [
  'RunSucceeded',
  'NothingNew',
  'AnotherRunInProgress',
  'RunFailed',
  'CompactionFailed',
] as const;
export type EltEndState = (typeof ELT_END_STATES)[number];

/** The task states that run an ELT step are named `Run-<step>` (`Run-plan`, `Run-load`, …). */
const STEP_STATE = /^Run-(.+)$/;

/** What an execution did next, as its history shows it. */
export type ExecutionProgress =
  /** A step began; `pass` counts its entries (load and transform may run several times). */
  | { readonly kind: 'step'; readonly step: string; readonly pass: number; readonly elapsedMs: number }
  /** The execution entered a Succeed or Fail state. */
  | { readonly kind: 'end'; readonly state: string; readonly elapsedMs: number };

/** An error a state raised that nothing retried into a success. */
export interface StateFailure {
  /** The state that failed (`Run-load`), when known. */
  readonly state?: string;
  readonly error?: string;
  /** The cause, readable: a Lambda error's `errorMessage` rather than its JSON. */
  readonly cause?: string;
}

type Details = { readonly error?: string; readonly cause?: string } | undefined;

/**
 * The history of one ELT execution, read a page at a time. Events are taken in id order and once each,
 * so the same pages can be read again on every poll (GetExecutionHistory has no "after event id").
 */
export class EltExecutionHistory {
  /** The id of the last event read. */
  lastEventId = 0;
  /** The Succeed or Fail state the execution entered, if any yet. */
  endState?: string;
  /** The plan step's output: the run id, and `nothingNew` or `lockedBy` when the run stopped early. */
  plan?: Partial<RunState>;
  /** The run record the publish or fail step returned. */
  run?: RunRecord;
  /** The first failure of a state that was not retried into a success. */
  failure?: StateFailure;
  /** Why the execution itself failed, timed out or was aborted. */
  executionFailure?: StateFailure;

  private state?: string;
  private startedAt?: number;
  private readonly passes = new Map<string, number>();

  /** Reads the events not read before, in order, and returns the progress they show. */
  read(events: readonly HistoryEvent[]): ExecutionProgress[] {
    const progress: ExecutionProgress[] = [];
    for (const event of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
      if (event.id === undefined || event.id <= this.lastEventId) continue;
      this.lastEventId = event.id;
      const p = this.apply(event);
      if (p) progress.push(p);
    }
    return progress;
  }

  private apply(event: HistoryEvent): ExecutionProgress | undefined {
    const at = event.timestamp?.getTime();
    this.startedAt ??= at;
    const elapsedMs = at !== undefined && this.startedAt !== undefined ? at - this.startedAt : 0;
    switch (event.type) {
      case 'TaskStateEntered': {
        const name = event.stateEnteredEventDetails?.name ?? '';
        this.state = name;
        const step = STEP_STATE.exec(name)?.[1];
        if (!step) return undefined;
        const pass = (this.passes.get(step) ?? 0) + 1;
        this.passes.set(step, pass);
        return { kind: 'step', step, pass, elapsedMs };
      }
      case 'SucceedStateEntered':
      case 'FailStateEntered': {
        const name = event.stateEnteredEventDetails?.name ?? '';
        this.state = name;
        this.endState = name;
        return { kind: 'end', state: name, elapsedMs };
      }
      case 'ChoiceStateEntered':
      case 'PassStateEntered':
      case 'WaitStateEntered':
      case 'ParallelStateEntered':
      case 'MapStateEntered':
        this.state = event.stateEnteredEventDetails?.name;
        return undefined;
      // payloadResponseOnly Lambda tasks report LambdaFunction*; integrations through lambda:invoke, Task*.
      case 'LambdaFunctionSucceeded':
        return this.succeeded(event.lambdaFunctionSucceededEventDetails?.output);
      case 'TaskSucceeded':
        return this.succeeded(event.taskSucceededEventDetails?.output);
      case 'LambdaFunctionFailed':
        return this.failed(event.lambdaFunctionFailedEventDetails);
      case 'LambdaFunctionTimedOut':
        return this.failed(event.lambdaFunctionTimedOutEventDetails);
      case 'LambdaFunctionStartFailed':
        return this.failed(event.lambdaFunctionStartFailedEventDetails);
      case 'LambdaFunctionScheduleFailed':
        return this.failed(event.lambdaFunctionScheduleFailedEventDetails);
      case 'TaskFailed':
        return this.failed(event.taskFailedEventDetails);
      case 'TaskTimedOut':
        return this.failed(event.taskTimedOutEventDetails);
      case 'TaskStartFailed':
        return this.failed(event.taskStartFailedEventDetails);
      case 'TaskSubmitFailed':
        return this.failed(event.taskSubmitFailedEventDetails);
      case 'EvaluationFailed':
        return this.failed(event.evaluationFailedEventDetails);
      case 'ExecutionFailed':
        return this.executionEnded(event.executionFailedEventDetails);
      case 'ExecutionTimedOut':
        return this.executionEnded(event.executionTimedOutEventDetails);
      case 'ExecutionAborted':
        return this.executionEnded(event.executionAbortedEventDetails);
      default:
        return undefined;
    }
  }

  private succeeded(output: string | undefined): undefined {
    // A state that failed and was retried into a success did not fail.
    if (this.failure && this.failure.state === this.state) this.failure = undefined;
    const value = parseJson(output);
    if (this.state === 'Run-plan' && isObject(value)) this.plan = value as Partial<RunState>;
    if ((this.state === 'Run-publish' || this.state === 'Run-fail') && isRunRecord(value)) this.run = value;
    return undefined;
  }

  private failed(details: Details): undefined {
    this.failure ??= { ...(this.state ? { state: this.state } : {}), ...readable(details) };
    return undefined;
  }

  private executionEnded(details: Details): undefined {
    this.executionFailure = readable(details);
    return undefined;
  }
}

function readable(details: Details): { error?: string; cause?: string } {
  const cause = details?.cause;
  // A Lambda error's cause is JSON: {"errorType": …, "errorMessage": …, "trace": […]}.
  const message = parseJson(cause);
  const text = isObject(message) && typeof message.errorMessage === 'string' ? message.errorMessage : cause;
  return {
    ...(details?.error ? { error: details.error } : {}),
    ...(text ? { cause: text } : {}),
  };
}

function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRunRecord(value: unknown): value is RunRecord {
  return (
    isObject(value) &&
    typeof value.runId === 'string' &&
    typeof value.status === 'string' &&
    Array.isArray(value.models) &&
    Array.isArray(value.tests)
  );
}
