import { SFNClient } from '@aws-sdk/client-sfn';
import type { Command } from 'commander';
import type { ExecutionProgress } from '../adapters/workflow/execution-history.js';
import {
  parseStateMachineArn,
  runEltStateMachine,
  StateMachineArnError,
  StateMachineNotFoundError,
  WORKFLOW_ACTIONS,
  WorkflowAccessDeniedError,
  type EltStateMachineRun,
  type StateMachineArn,
} from '../adapters/workflow/step-functions-run.js';
import { explainAwsError } from './aws-errors.js';
import { describeRun } from './describe-run.js';
import { CliError, n, Progress, secs } from './output.js';
import { stateMachineArnOutput } from './stack-outputs.js';

/** The options of `elt run` that start the deployed workflow instead of running locally. */
export interface StateMachineRunOptions {
  readonly stateMachine?: string;
  readonly outputs?: string;
  /** Seconds to follow the execution before leaving it running. */
  readonly timeout: number;
  readonly json: boolean;
}

/** Options of a local `elt run` (attribute, flag): the deployed workflow has its own configuration. */
const LOCAL_RUN_OPTIONS = [
  ['warehouse', '--warehouse'],
  ['store', '--store'],
  ['fullRefresh', '--full-refresh'],
  ['waitForWarehouse', '--wait-for-warehouse'],
] as const;

/** Whether `elt run` was asked to run on AWS (`--state-machine` or `--outputs`). */
export function wantsStateMachine(options: StateMachineRunOptions): boolean {
  return options.stateMachine !== undefined || options.outputs !== undefined;
}

/**
 * `elt run --state-machine ARN | --outputs FILE`: starts an execution of the deployed ELT state machine
 * and follows it to its end, so a run from a laptop acts as the pipeline's runner role (the owner of its
 * tables) rather than as the caller. Progress on stderr, the outcome on stdout; exit 0 when the run
 * succeeded or there was nothing new, 1 when it failed or another run held the lock, 2 when `--timeout`
 * passed first (the execution is left running).
 */
export async function runOnStateMachine(
  options: StateMachineRunOptions,
  command: Command,
  sfnFor: (region: string) => SFNClient = (region) => new SFNClient({ region }),
): Promise<void> {
  const arn = stateMachineOf(options, command);
  const progress = new Progress(!options.json);
  let executionArn: string | undefined;
  let result: EltStateMachineRun;
  // The state machine's region, whatever the profile's: it can only be started there.
  const sfn = sfnFor(arn.region);
  try {
    result = await runEltStateMachine({
      sfn,
      stateMachineArn: arn.arn,
      timeoutMs: options.timeout * 1000,
      onStarted: (started) => {
        executionArn = started;
        progress.done(`started ${started} (it runs as the pipeline's runner role)`);
      },
      onProgress: (p) => progress.done(progressLine(p)),
    });
  } catch (error) {
    throw explainWorkflowError(error, arn, executionArn);
  } finally {
    progress.done();
    sfn.destroy();
  }
  process.stdout.write(
    options.json
      ? `${JSON.stringify(jsonResult(result))}\n`
      : `${describeExecution(result, options.timeout)}\n`,
  );
  const code = exitCodeOf(result);
  if (code !== 0) process.exitCode = code;
}

/** The state machine to start, once the options are known to make sense together. */
function stateMachineOf(options: StateMachineRunOptions, command: Command): StateMachineArn {
  if (options.stateMachine !== undefined && options.outputs !== undefined)
    throw new CliError(
      '--state-machine and --outputs both name the state machine to start: pass one of them',
    );
  const flag = options.stateMachine !== undefined ? '--state-machine' : '--outputs';
  for (const [attribute, name] of LOCAL_RUN_OPTIONS) {
    if (command.getOptionValueSource(attribute) === 'cli')
      throw new CliError(
        `${name} cannot be used with ${flag}: the deployed workflow runs with its own configuration (the warehouse, raw bucket and settings it was deployed with); drop ${name}, or run locally without ${flag}`,
      );
  }
  const value = options.stateMachine ?? stateMachineArnOutput(options.outputs!);
  try {
    return parseStateMachineArn(value);
  } catch (error) {
    if (error instanceof StateMachineArnError) throw new CliError(`${flag}: ${error.message}`);
    throw error;
  }
}

/** One line of progress: the time since the execution started and the step it entered. */
function progressLine(p: ExecutionProgress): string {
  const label = p.kind === 'end' ? p.state : p.pass > 1 ? `${p.step} #${p.pass}` : p.step;
  return `${secs(p.elapsedMs).padStart(9)}  ${label}`;
}

/** Exit 0 when the run succeeded or had nothing to do, 2 while still running, else 1. */
function exitCodeOf(result: EltStateMachineRun): number {
  if (result.status === 'RUNNING') return 2;
  if (result.status !== 'SUCCEEDED') return 1;
  return result.endState === 'AnotherRunInProgress' ? 1 : 0;
}

/** The `--json` result: one line. */
function jsonResult(result: EltStateMachineRun): Record<string, unknown> {
  return {
    executionArn: result.executionArn,
    status: result.status,
    endState: result.endState ?? null,
    ...(result.run ? { run: result.run } : {}),
    ...(result.endState === 'AnotherRunInProgress' && result.plan?.lockedBy
      ? { lockedBy: result.plan.lockedBy }
      : {}),
    ...(result.failure?.error ? { error: result.failure.error } : {}),
    ...(result.failure?.cause ? { cause: result.failure.cause } : {}),
  };
}

/** The readable outcome: the run, then the execution it ran in. */
function describeExecution(result: EltStateMachineRun, timeoutSeconds: number): string {
  const name = result.executionArn.slice(result.executionArn.lastIndexOf(':') + 1);
  if (result.status === 'RUNNING') {
    return [
      `execution ${name} is still running after ${n(timeoutSeconds)} s; it was not stopped and goes on by itself.`,
      `  ${result.executionArn}`,
      `  follow it with: aws stepfunctions describe-execution --execution-arn ${result.executionArn}`,
    ].join('\n');
  }
  const lines: string[] = [];
  if (result.endState === 'NothingNew') {
    lines.push(
      'nothing new: nothing was landed since the last published run, so there was nothing to do (the warehouse was not touched).',
    );
  } else if (result.endState === 'AnotherRunInProgress') {
    const holder = result.plan?.lockedBy;
    lines.push(
      `another run holds the run lock${holder ? `: ${holder}` : ''}. This execution stopped after its plan and changed nothing; start it again once that run has finished.`,
    );
  } else if (result.run) {
    lines.push(describeRun(result.run));
    if (result.endState === 'CompactionFailed')
      lines.push(
        'the run was published; compacting the closed raw partitions after it failed (see the error below): the next execution compacts again, and no event is lost or loaded twice meanwhile.',
      );
  }
  const took =
    result.stoppedAt === undefined
      ? ''
      : ` in ${secs(result.stoppedAt.getTime() - result.startedAt.getTime())}`;
  const failed = result.failure?.state ? ` — ${result.failure.state} failed` : '';
  if (lines.length > 0) lines.push('');
  lines.push(`execution ${name}: ${result.endState ?? result.status} (${result.status})${took}${failed}`);
  if (result.failure?.error) lines.push(`  error: ${result.failure.error}`);
  if (result.failure?.cause) lines.push(`  cause: ${result.failure.cause}`);
  lines.push(`  ${result.executionArn}`);
  return lines.join('\n');
}

/** One clear line for what went wrong starting or following the execution. */
function explainWorkflowError(
  error: unknown,
  arn: StateMachineArn,
  executionArn: string | undefined,
): unknown {
  const still = executionArn
    ? ` The execution ${executionArn} was started and goes on by itself (not stopped).`
    : '';
  if (error instanceof WorkflowAccessDeniedError) {
    return new CliError(
      `access denied: your AWS identity may not call ${error.action} on ${error.resource}. Running the ELT on AWS needs ${WORKFLOW_ACTIONS.join(', ')} on the state machine ${arn.arn} and its executions (arn:…:execution:${arn.name}:*).${still}`,
    );
  }
  if (error instanceof StateMachineNotFoundError) {
    return new CliError(
      `state machine ${arn.arn} does not exist in account ${arn.account}, region ${arn.region}: deploy the stateless stack (npx cdk deploy --all), or check the ARN against its StateMachineArn output`,
    );
  }
  if (error instanceof StateMachineArnError) return new CliError(error.message);
  const explained = explainAwsError(
    error,
    'sfn',
    executionArn ? `following ${executionArn}` : `starting ${arn.arn}`,
  );
  if (!executionArn) return explained;
  const message = explained instanceof Error ? explained.message : String(explained);
  return new CliError(`${message}${still}`);
}
