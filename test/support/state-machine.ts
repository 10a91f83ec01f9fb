/**
 * A small, strict interpreter of the Amazon States Language subset the ELT state machine uses, so tests run
 * the synthesized definition itself with the step handlers in-process: a wrong Choice, a missing loop or a
 * broken Catch in the deployed definition then fails a test instead of hiding behind a test author's idea of
 * the order of the steps.
 *
 * Strict means: anything outside the subset (a state type, a field, a Choice operator, a JsonPath form, an
 * intrinsic function, a task resource) throws {@link UnsupportedAslError} naming it, up front, before any
 * handler runs. Semantics follow the spec (https://states-language.net/spec.html) and the Step Functions
 * guide (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html).
 */
import { randomUUID } from 'node:crypto';
import { Stack, Token, type CfnElement } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ELT_STEPS, type EltStep } from '../../lib/infra/constructs/elt-orchestration.js';
import { synthesize, type SynthesizedApp } from './cdk-app.js';

// ---------------------------------------------------------------------------------------------------------
// Types

/** A JSON value, as states pass them to each other. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** One state of a definition: its `Type` and fields, checked by the interpreter, not by the compiler. */
export interface AslState {
  readonly Type: string;
  readonly [field: string]: unknown;
}

/** A state machine definition in the Amazon States Language (JSONPath). */
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Readonly<Record<string, AslState>>;
  /** The execution timeout; exposed, not simulated (no execution here runs long). */
  readonly TimeoutSeconds?: number;
  readonly Comment?: string;
  readonly [field: string]: unknown;
}

/** The parts of the Lambda context a handler may use (a structural subset of `aws-lambda`'s `Context`). */
export interface LambdaContext {
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly awsRequestId: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

/** One invocation of a function by a Task state. */
export interface LambdaInvocation {
  /** The step the function runs: its name in `functionSteps`, else the function name itself. */
  readonly step: string;
  readonly functionName: string;
  readonly functionArn: string;
  /** The Task state that invokes it. */
  readonly state: string;
  /** 1-based count of this step's invocations in the execution (a loop invokes a step again). */
  readonly invocation: number;
  /** 1-based attempt of the current state (Retry invokes again). */
  readonly attempt: number;
}

/** Makes the Lambda context of each invocation. */
export type LambdaContextFactory = (invocation: LambdaInvocation) => LambdaContext;

/** What an `events:putEvents` task returns; the default is one event id per entry and no failures. */
export interface PutEventsResult {
  readonly Entries: readonly { readonly EventId?: string; readonly ErrorCode?: string }[];
  readonly FailedEntryCount: number;
}

/** Receives the resolved `Entries` of an `arn:aws:states:::events:putEvents` task. */
export type PutEventsHandler = (
  entries: readonly Json[],
) => PutEventsResult | void | Promise<PutEventsResult | void>;

/** The outside world of an execution: the functions and the event bus. */
export interface StateMachineHandlers {
  /**
   * Runs one step's function with its payload. Throw to fail the invocation: Step Functions names the
   * error after the error's `name` (see {@link lambdaErrorOf}); throw {@link LambdaTimeoutError} to act out
   * a function that ran past its timeout.
   */
  lambda(step: string, payload: Json, context: LambdaContext): unknown;
  /** Called for every `events:putEvents` task. @default none: such a task is a harness error */
  putEvents?: PutEventsHandler;
  /** @default {@link lambdaContextFactory}() — every function has Lambda's default 3 s timeout */
  lambdaContext?: LambdaContextFactory;
}

/** How one execution is started. */
export interface RunOptions {
  /** Function name (the logical id, for a synthesized definition) → step name. @default none: the name is the step */
  readonly functionSteps?: ReadonlyMap<string, string>;
  /** @default a random UUID, as StartExecution without a name */
  readonly executionName?: string;
  /** @default now */
  readonly startTime?: Date;
  /** @default arn:aws:states:eu-west-1:123456789012:stateMachine:state-machine */
  readonly stateMachineArn?: string;
  /** What `States.UUID()` returns. @default crypto.randomUUID */
  readonly uuid?: () => string;
  /** The loop guard: an execution entering more states than this fails. @default {@link MAX_TRANSITIONS} */
  readonly maxTransitions?: number;
}

/** A retry the interpreter would have slept before; it records the wait instead. */
export interface RetryRecord {
  readonly error: string;
  readonly waitSeconds: number;
}

/** One state an execution went through. */
export interface HistoryEntry {
  readonly state: string;
  readonly type: string;
  /** The state's raw input. */
  readonly input: Json;
  /** The state's output (after a Catch, the catcher's output); absent when the state failed the execution. */
  readonly output?: Json;
  readonly next?: string;
  /** The error the state reported (caught or not). */
  readonly error?: string;
  readonly cause?: string;
  /** Task attempts made (1 without retries). */
  readonly attempts?: number;
  readonly retries?: readonly RetryRecord[];
  /** Wait states: the seconds or the timestamp they would have waited for. */
  readonly waitSeconds?: number;
  readonly waitUntil?: string;
}

/** How an execution ended. */
export interface ExecutionResult {
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly output?: Json;
  readonly error?: string;
  readonly cause?: string;
  readonly history: readonly HistoryEntry[];
  readonly executionArn: string;
  /** The definition's `TimeoutSeconds`, which is not simulated. */
  readonly timeoutSeconds?: number;
}

// ---------------------------------------------------------------------------------------------------------
// Errors and names

/**
 * A fault of the definition or of the test harness, never an outcome of the execution: it propagates out of
 * {@link runStateMachine} instead of being caught by a Catch.
 */
export class StateMachineHarnessError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The definition uses something outside the supported subset; the message names it. */
export class UnsupportedAslError extends StateMachineHarnessError {}

/** The definition is not valid ASL (a `Next` to no state, a malformed rule). */
export class InvalidAslError extends StateMachineHarnessError {}

/** Thrown by a test's handler to act out a function that ran past its timeout. */
export class LambdaTimeoutError extends Error {
  constructor(message = 'Task timed out') {
    super(message);
    this.name = 'LambdaTimeoutError';
  }
}

/** Error names of the States language used here (concepts-error-handling, link above). */
export const STATES_ERRORS = {
  all: 'States.ALL',
  taskFailed: 'States.TaskFailed',
  timeout: 'States.Timeout',
  /** Not caught by `States.ALL`: an invalid path, a Choice on a missing variable. */
  runtime: 'States.Runtime',
  resultPathMatchFailure: 'States.ResultPathMatchFailure',
  noChoiceMatched: 'States.NoChoiceMatched',
  intrinsicFailure: 'States.IntrinsicFailure',
} as const;

/**
 * The error a Lambda function that runs past its timeout reports. The Lambda guide names the error type
 * `Sandbox.Timedout` (https://docs.aws.amazon.com/lambda/latest/dg/troubleshooting-invocation.html) and Step
 * Functions names a function error after its type; the Step Functions guide's older wording calls unhandled
 * errors, timeouts included, `Lambda.Unknown`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html). Both are matched by
 * `States.ALL` and `States.TaskFailed`, which is all this project's definition catches.
 */
export const LAMBDA_TIMEOUT_ERROR = 'Sandbox.Timedout';

/** The loop guard's default; Step Functions itself stops a standard execution at 25,000 history events. */
export const MAX_TRANSITIONS = 10_000;

/** The error the loop guard fails an execution with. */
export const TRANSITION_LIMIT_ERROR = 'TransitionLimitExceeded';

/** Lambda's default function timeout, for functions the test gives none. */
const DEFAULT_FUNCTION_TIMEOUT_MS = 3_000;

/** An error an executing state reports (`Error` and `Cause` as Step Functions puts them in the output). */
class StatesError extends Error {
  constructor(
    readonly error: string,
    override readonly cause?: string,
  ) {
    super(cause ? `${error}: ${cause}` : error);
    this.name = 'StatesError';
  }
}

/**
 * How Step Functions reports an error a Lambda handler threw: `Error` is the error's name and `Cause` the
 * JSON the Node.js runtime writes (`errorType`, `errorMessage`, `trace`) — see
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html.
 */
export function lambdaErrorOf(thrown: unknown, requestId: string): { Error: string; Cause: string } {
  if (thrown instanceof LambdaTimeoutError) {
    const cause = {
      errorType: LAMBDA_TIMEOUT_ERROR,
      errorMessage: `RequestId: ${requestId} Error: ${thrown.message}`,
    };
    return { Error: LAMBDA_TIMEOUT_ERROR, Cause: JSON.stringify(cause) };
  }
  const error = thrown instanceof Error ? thrown : undefined;
  const errorType = error?.name || 'Error';
  const cause = {
    errorType,
    errorMessage: error ? error.message : String(thrown),
    trace: error?.stack?.split('\n') ?? [],
  };
  return { Error: errorType, Cause: JSON.stringify(cause) };
}

// A harness fault, or a failed `expect` inside a fake handler, must fail the test, not be caught by a Catch.
const isHarnessFault = (thrown: unknown): boolean =>
  thrown instanceof StateMachineHarnessError || (thrown instanceof Error && thrown.name === 'AssertionError');

// ---------------------------------------------------------------------------------------------------------
// JSON helpers

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A JSON copy of a value, as crossing a service boundary makes one (`undefined` becomes null). */
function toJson(value: unknown): Json {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

// ---------------------------------------------------------------------------------------------------------
// Reference paths

interface ReferencePath {
  readonly text: string;
  /** `$$…`: the context object. */
  readonly context: boolean;
  readonly segments: readonly (string | number)[];
}

const PATH_STEP = /^(?:\.([A-Za-z0-9_-]+)|\[(\d+)\])/;

/** Parses `$`, `$.a.b`, `$.a[0]`, `$$.Execution.Id`; anything else (`*`, `..`, filters, slices) is refused. */
function parsePath(text: string, where: string): ReferencePath {
  const context = text.startsWith('$$');
  if (!text.startsWith('$')) throw new InvalidAslError(`${where}: "${text}" is not a path`);
  let rest = text.slice(context ? 2 : 1);
  const segments: (string | number)[] = [];
  while (rest.length > 0) {
    const step = PATH_STEP.exec(rest);
    if (!step) {
      throw new UnsupportedAslError(
        `${where}: JsonPath "${text}" is not supported (only $.name, [index] and $$. context paths)`,
      );
    }
    segments.push(step[1] ?? Number(step[2]));
    rest = rest.slice(step[0].length);
  }
  return { text, context, segments };
}

type Lookup = { readonly found: true; readonly value: Json } | { readonly found: false };

function lookup(path: ReferencePath, data: Json, contextObject: Json): Lookup {
  let value: Json = path.context ? contextObject : data;
  for (const segment of path.segments) {
    if (typeof segment === 'number') {
      if (!Array.isArray(value) || segment >= value.length) return { found: false };
      value = value[segment]!;
    } else {
      if (!isObject(value) || !Object.hasOwn(value, segment)) return { found: false };
      value = value[segment]!;
    }
  }
  return { found: true, value };
}

function select(path: ReferencePath, data: Json, contextObject: Json, where: string): Json {
  const found = lookup(path, data, contextObject);
  if (!found.found) {
    throw new StatesError(
      STATES_ERRORS.runtime,
      `${where}: the JSONPath '${path.text}' could not be found in the input '${JSON.stringify(data)}'`,
    );
  }
  return found.value;
}

/** `InputPath`/`OutputPath`: absent is `$`, null is `{}`. */
function applyIoPath(pathText: unknown, data: Json, contextObject: Json, where: string): Json {
  if (pathText === undefined) return data;
  if (pathText === null) return {};
  return select(parsePath(pathText as string, where), data, contextObject, where);
}

/** `ResultPath`: absent is `$` (the result replaces the input), null discards the result. */
function applyResultPath(pathText: unknown, rawInput: Json, result: Json, where: string): Json {
  if (pathText === undefined) return result;
  if (pathText === null) return rawInput;
  const path = parsePath(pathText as string, where);
  if (path.segments.length === 0) return result;
  const output = structuredClone(rawInput);
  if (!isObject(output)) {
    throw new StatesError(STATES_ERRORS.resultPathMatchFailure, `${where}: the input is not an object`);
  }
  let node: { [key: string]: Json } = output;
  path.segments.forEach((segment, i) => {
    const key = segment as string;
    if (i === path.segments.length - 1) {
      node[key] = result;
      return;
    }
    const child = node[key];
    if (child === undefined) {
      node[key] = {};
    } else if (!isObject(child)) {
      throw new StatesError(
        STATES_ERRORS.resultPathMatchFailure,
        `${where}: '${path.text}' goes through a value that is not an object`,
      );
    }
    node = node[key] as { [key: string]: Json };
  });
  return output;
}

// ---------------------------------------------------------------------------------------------------------
// Intrinsic functions

type IntrinsicArg =
  | { readonly kind: 'literal'; readonly value: Json; readonly raw?: string }
  | { readonly kind: 'path'; readonly path: ReferencePath }
  | { readonly kind: 'call'; readonly call: IntrinsicCall };

interface IntrinsicCall {
  readonly name: string;
  readonly args: readonly IntrinsicArg[];
}

/** The intrinsics supported, with their least and most argument counts. */
const INTRINSICS: Readonly<Record<string, readonly [number, number]>> = {
  'States.UUID': [0, 0],
  'States.Format': [1, Number.POSITIVE_INFINITY],
  'States.StringToJson': [1, 1],
  'States.JsonToString': [1, 1],
};

function parseIntrinsic(text: string, where: string): IntrinsicCall {
  let pos = 0;
  const fail = (what: string): never => {
    throw new InvalidAslError(`${where}: ${what} at ${pos} in "${text}"`);
  };
  const skipSpace = (): void => {
    while (text[pos] === ' ') pos++;
  };
  const call = (): IntrinsicCall => {
    const name = /^States\.[A-Za-z0-9]+/.exec(text.slice(pos))?.[0];
    if (!name) return fail('expected an intrinsic function');
    const arity = INTRINSICS[name];
    if (!arity) throw new UnsupportedAslError(`${where}: intrinsic function ${name} is not supported`);
    pos += name.length;
    if (text[pos] !== '(') fail('expected "("');
    pos++;
    const args: IntrinsicArg[] = [];
    skipSpace();
    if (text[pos] === ')') {
      pos++;
    } else {
      for (;;) {
        skipSpace();
        args.push(arg());
        skipSpace();
        const separator = text[pos++];
        if (separator === ')') break;
        if (separator !== ',') fail('expected "," or ")"');
      }
    }
    if (args.length < arity[0] || args.length > arity[1]) {
      throw new InvalidAslError(`${where}: ${name} takes ${arity.join('..')} arguments, got ${args.length}`);
    }
    return { name, args };
  };
  const arg = (): IntrinsicArg => {
    const rest = text.slice(pos);
    if (rest.startsWith("'")) {
      let raw = '';
      pos++;
      while (pos < text.length && text[pos] !== "'") {
        if (text[pos] === '\\') raw += text[pos++];
        raw += text[pos++] ?? '';
      }
      if (text[pos] !== "'") fail('unterminated string');
      pos++;
      return { kind: 'literal', value: raw.replace(/\\(.)/g, '$1'), raw };
    }
    if (rest.startsWith('$')) {
      const pathText = /^[^,)\s]+/.exec(rest)![0];
      pos += pathText.length;
      return { kind: 'path', path: parsePath(pathText, where) };
    }
    if (rest.startsWith('States.')) return { kind: 'call', call: call() };
    const literal = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(rest)?.[0];
    if (!literal) return fail('expected an argument');
    pos += literal.length;
    return { kind: 'literal', value: JSON.parse(literal) as Json };
  };
  const parsed = call();
  if (pos !== text.length) fail('unexpected text after the call');
  return parsed;
}

interface Env {
  readonly contextObject: Json;
  readonly uuid: () => string;
}

function evaluateIntrinsic(call: IntrinsicCall, data: Json, env: Env, where: string): Json {
  const value = (arg: IntrinsicArg): Json => {
    if (arg.kind === 'literal') return arg.value;
    if (arg.kind === 'path') return select(arg.path, data, env.contextObject, where);
    return evaluateIntrinsic(arg.call, data, env, where);
  };
  const failure = (what: string): never => {
    throw new StatesError(STATES_ERRORS.intrinsicFailure, `${where}: ${call.name}: ${what}`);
  };
  switch (call.name) {
    case 'States.UUID':
      return env.uuid();
    case 'States.Format': {
      const [templateArg, ...rest] = call.args;
      const template =
        templateArg!.kind === 'literal' && templateArg!.raw !== undefined
          ? templateArg!.raw
          : value(templateArg!);
      if (typeof template !== 'string') return failure('the template is not a string');
      const values = rest.map(value);
      let out = '';
      let next = 0;
      for (let i = 0; i < template.length; i++) {
        const ch = template[i]!;
        if (ch === '\\') {
          out += template[++i] ?? '';
        } else if (ch === '{' && template[i + 1] === '}') {
          if (next >= values.length) return failure('more {} than arguments');
          const v = values[next++]!;
          if (typeof v === 'object' && v !== null) return failure('an argument is an object or an array');
          out += typeof v === 'string' ? v : JSON.stringify(v);
          i++;
        } else {
          out += ch;
        }
      }
      if (next !== values.length) return failure('more arguments than {}');
      return out;
    }
    case 'States.StringToJson': {
      const text = value(call.args[0]!);
      if (typeof text !== 'string') return failure('the argument is not a string');
      try {
        return JSON.parse(text) as Json;
      } catch {
        return failure('the argument is not JSON');
      }
    }
    case 'States.JsonToString':
      return JSON.stringify(value(call.args[0]!));
    default:
      throw new UnsupportedAslError(`${where}: intrinsic function ${call.name} is not supported`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Payload templates (Parameters, ResultSelector)

/** Parses the value of a `key.$` field: a path or an intrinsic call. */
function parseDynamic(expression: unknown, where: string): ReferencePath | IntrinsicCall {
  if (typeof expression !== 'string')
    throw new InvalidAslError(`${where}: the value of a ".$" field must be a string`);
  if (expression.startsWith('$')) return parsePath(expression, where);
  if (expression.startsWith('States.')) return parseIntrinsic(expression, where);
  throw new InvalidAslError(`${where}: "${expression}" is neither a path nor an intrinsic function`);
}

function resolveTemplate(template: unknown, data: Json, env: Env, where: string): Json {
  if (Array.isArray(template))
    return template.map((item, i) => resolveTemplate(item, data, env, `${where}[${i}]`));
  if (!isObject(template)) return toJson(template);
  const out: { [key: string]: Json } = {};
  for (const [key, raw] of Object.entries(template)) {
    const here = `${where}.${key}`;
    if (key.endsWith('.$')) {
      const name = key.slice(0, -2);
      if (Object.hasOwn(out, name)) throw new InvalidAslError(`${here}: "${name}" is given twice`);
      const dynamic = parseDynamic(raw, here);
      out[name] =
        'segments' in dynamic
          ? select(dynamic, data, env.contextObject, here)
          : evaluateIntrinsic(dynamic, data, env, here);
    } else {
      if (Object.hasOwn(out, key)) throw new InvalidAslError(`${here}: "${key}" is given twice`);
      out[key] = resolveTemplate(raw, data, env, here);
    }
  }
  return out;
}

function validateTemplate(template: unknown, where: string): void {
  if (Array.isArray(template)) {
    template.forEach((item, i) => validateTemplate(item, `${where}[${i}]`));
  } else if (isObject(template)) {
    for (const [key, raw] of Object.entries(template)) {
      if (key.endsWith('.$')) parseDynamic(raw, `${where}.${key}`);
      else validateTemplate(raw, `${where}.${key}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Choice rules

const COMPARISONS = {
  IsPresent: 'boolean',
  BooleanEquals: 'boolean',
  NumericGreaterThan: 'number',
  NumericEquals: 'number',
  StringEquals: 'string',
} as const;
type Comparison = keyof typeof COMPARISONS;
const isComparison = (key: string): key is Comparison => Object.hasOwn(COMPARISONS, key);

function validateRule(
  rule: unknown,
  where: string,
  topLevel: boolean,
  states: AslDefinition['States'],
): void {
  if (!isObject(rule)) throw new InvalidAslError(`${where}: a Choice rule must be an object`);
  for (const key of Object.keys(rule)) {
    const known = ['Variable', 'And', 'Or', 'Not', 'Comment', ...(topLevel ? ['Next'] : [])];
    if (!known.includes(key) && !isComparison(key)) {
      throw new UnsupportedAslError(`${where}: Choice operator or field "${key}" is not supported`);
    }
  }
  if (topLevel) {
    if (typeof rule.Next !== 'string' || !states[rule.Next]) {
      throw new InvalidAslError(`${where}: Next "${String(rule.Next)}" is not a state`);
    }
  }
  const operators = Object.keys(rule).filter(
    (k) => k === 'And' || k === 'Or' || k === 'Not' || isComparison(k),
  );
  if (operators.length !== 1) throw new InvalidAslError(`${where}: a rule needs exactly one operator`);
  const operator = operators[0]!;
  if (operator === 'And' || operator === 'Or') {
    const rules = rule[operator];
    if (!Array.isArray(rules) || rules.length === 0 || 'Variable' in rule) {
      throw new InvalidAslError(`${where}: ${operator} takes a non-empty array of rules and no Variable`);
    }
    rules.forEach((r, i) => validateRule(r, `${where}.${operator}[${i}]`, false, states));
  } else if (operator === 'Not') {
    if ('Variable' in rule) throw new InvalidAslError(`${where}: Not takes a rule and no Variable`);
    validateRule(rule.Not, `${where}.Not`, false, states);
  } else {
    if (typeof rule.Variable !== 'string')
      throw new InvalidAslError(`${where}: ${operator} needs a Variable`);
    parsePath(rule.Variable, `${where}.Variable`);
    if (typeof rule[operator] !== COMPARISONS[operator as Comparison]) {
      throw new InvalidAslError(`${where}: ${operator} takes a ${COMPARISONS[operator as Comparison]}`);
    }
  }
}

function evaluateRule(
  rule: Record<string, unknown>,
  data: Json,
  contextObject: Json,
  where: string,
): boolean {
  if (Array.isArray(rule.And)) {
    // Short-circuit, as Step Functions does: `IsPresent` guards the comparison that follows it.
    return rule.And.every((r: Record<string, unknown>) => evaluateRule(r, data, contextObject, where));
  }
  if (Array.isArray(rule.Or)) {
    return rule.Or.some((r: Record<string, unknown>) => evaluateRule(r, data, contextObject, where));
  }
  if (isObject(rule.Not)) return !evaluateRule(rule.Not, data, contextObject, where);
  const path = parsePath(rule.Variable as string, where);
  const found = lookup(path, data, contextObject);
  if ('IsPresent' in rule) return found.found === rule.IsPresent;
  // Any other comparison on a missing variable fails the execution (not catchable).
  if (!found.found) {
    throw new StatesError(
      STATES_ERRORS.runtime,
      `${where}: Invalid path '${path.text}': the choice state's condition path references an invalid value`,
    );
  }
  const v = found.value;
  // A value of another type than the comparison's does not match (spec: "Choice Rules").
  if ('BooleanEquals' in rule) return typeof v === 'boolean' && v === rule.BooleanEquals;
  if ('NumericGreaterThan' in rule) return typeof v === 'number' && v > (rule.NumericGreaterThan as number);
  if ('NumericEquals' in rule) return typeof v === 'number' && v === rule.NumericEquals;
  if ('StringEquals' in rule) return typeof v === 'string' && v === rule.StringEquals;
  throw new UnsupportedAslError(`${where}: a Choice rule with no supported operator`);
}

// ---------------------------------------------------------------------------------------------------------
// Task resources

type TaskResource =
  | { readonly kind: 'lambda'; readonly functionArn: string; readonly functionName: string }
  | { readonly kind: 'lambda-invoke' }
  | { readonly kind: 'put-events' };

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;
const FUNCTION_NAME = /^[A-Za-z0-9_-]+$/;

function classifyResource(resource: unknown, where: string): TaskResource {
  if (typeof resource !== 'string') throw new InvalidAslError(`${where}: Resource must be a string`);
  // `LambdaInvoke` with `payloadResponseOnly: true` compiles to the function's ARN as the Resource and the
  // state's effective input as the payload: the result is the function's return value, unwrapped.
  const arn = LAMBDA_ARN.exec(resource);
  if (arn) return { kind: 'lambda', functionArn: resource, functionName: arn[1]! };
  if (/^arn:aws[a-z-]*:states:::lambda:invoke$/.test(resource)) return { kind: 'lambda-invoke' };
  if (/^arn:aws[a-z-]*:states:::events:putEvents$/.test(resource)) return { kind: 'put-events' };
  throw new UnsupportedAslError(`${where}: task Resource "${resource}" is not supported`);
}

function functionOf(functionName: unknown, where: string): { functionArn: string; functionName: string } {
  if (typeof functionName !== 'string') throw new InvalidAslError(`${where}: FunctionName must be a string`);
  const arn = LAMBDA_ARN.exec(functionName);
  if (arn) return { functionArn: functionName, functionName: arn[1]! };
  if (FUNCTION_NAME.test(functionName)) {
    return {
      functionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
      functionName,
    };
  }
  throw new UnsupportedAslError(`${where}: FunctionName "${functionName}" is not supported`);
}

// ---------------------------------------------------------------------------------------------------------
// Validation

const COMMON_FIELDS = ['Type', 'Comment'];
const IO_FIELDS = ['InputPath', 'OutputPath'];
const STATE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  Task: [
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    'Resource',
    'Parameters',
    'ResultSelector',
    'ResultPath',
    'Retry',
    'Catch',
    'Next',
    'End',
  ],
  Pass: [...COMMON_FIELDS, ...IO_FIELDS, 'Parameters', 'Result', 'ResultPath', 'Next', 'End'],
  Choice: [...COMMON_FIELDS, ...IO_FIELDS, 'Choices', 'Default'],
  Wait: [
    ...COMMON_FIELDS,
    ...IO_FIELDS,
    'Seconds',
    'SecondsPath',
    'Timestamp',
    'TimestampPath',
    'Next',
    'End',
  ],
  Succeed: [...COMMON_FIELDS, ...IO_FIELDS],
  Fail: [...COMMON_FIELDS, 'Error', 'Cause'],
};
const TOP_LEVEL_FIELDS = ['StartAt', 'States', 'TimeoutSeconds', 'Comment', 'Version', 'QueryLanguage'];
const RETRIER_FIELDS = [
  'ErrorEquals',
  'IntervalSeconds',
  'MaxAttempts',
  'BackoffRate',
  'MaxDelaySeconds',
  'JitterStrategy',
  'Comment',
];
const CATCHER_FIELDS = ['ErrorEquals', 'Next', 'ResultPath', 'Comment'];

function onlyFields(value: Record<string, unknown>, allowed: readonly string[], where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) throw new UnsupportedAslError(`${where}: field "${key}" is not supported`);
  }
}

function validateErrorEquals(errorEquals: unknown, where: string): void {
  if (
    !Array.isArray(errorEquals) ||
    errorEquals.length === 0 ||
    !errorEquals.every((e) => typeof e === 'string')
  ) {
    throw new InvalidAslError(`${where}: ErrorEquals must be a non-empty array of error names`);
  }
  if (errorEquals.includes(STATES_ERRORS.all) && errorEquals.length > 1) {
    throw new InvalidAslError(`${where}: States.ALL must appear alone in ErrorEquals`);
  }
}

function validatePathField(value: unknown, where: string, options: { resultPath?: boolean } = {}): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'string') throw new InvalidAslError(`${where}: must be a path or null`);
  const path = parsePath(value, where);
  if (options.resultPath && (path.context || path.segments.some((s) => typeof s === 'number'))) {
    throw new UnsupportedAslError(`${where}: ResultPath "${value}" is not supported (only $ and $.a.b)`);
  }
}

/**
 * Checks that a definition is within the supported subset and well formed; throws
 * {@link UnsupportedAslError} or {@link InvalidAslError} naming the first construct that is not.
 */
export function assertSupportedDefinition(definition: AslDefinition): void {
  onlyFields(definition, TOP_LEVEL_FIELDS, 'definition');
  if (definition.QueryLanguage !== undefined && definition.QueryLanguage !== 'JSONPath') {
    throw new UnsupportedAslError(
      `definition: QueryLanguage "${String(definition.QueryLanguage)}" is not supported`,
    );
  }
  const states = definition.States;
  if (!isObject(states) || !states[definition.StartAt]) {
    throw new InvalidAslError(`definition: StartAt "${definition.StartAt}" is not a state`);
  }
  const target = (next: unknown, where: string): void => {
    if (typeof next !== 'string' || !states[next])
      throw new InvalidAslError(`${where}: "${String(next)}" is not a state`);
  };
  for (const [name, state] of Object.entries(states)) {
    const where = `state "${name}"`;
    const allowed = STATE_FIELDS[state.Type];
    if (!allowed) throw new UnsupportedAslError(`${where}: Type "${state.Type}" is not supported`);
    onlyFields(state, allowed, `${where} (${state.Type})`);
    validatePathField(state.InputPath, `${where}.InputPath`);
    validatePathField(state.OutputPath, `${where}.OutputPath`);
    validatePathField(state.ResultPath, `${where}.ResultPath`, { resultPath: true });
    validateTemplate(state.Parameters, `${where}.Parameters`);
    validateTemplate(state.ResultSelector, `${where}.ResultSelector`);
    if (allowed.includes('Next')) {
      if ((state.Next === undefined) === (state.End !== true)) {
        throw new InvalidAslError(`${where}: needs exactly one of Next and "End": true`);
      }
      if (state.Next !== undefined) target(state.Next, `${where}.Next`);
    }
    if (state.Type === 'Task') validateTask(state, where, target);
    if (state.Type === 'Choice') {
      if (!Array.isArray(state.Choices) || state.Choices.length === 0) {
        throw new InvalidAslError(`${where}: Choices must be a non-empty array`);
      }
      state.Choices.forEach((rule, i) => validateRule(rule, `${where}.Choices[${i}]`, true, states));
      if (state.Default !== undefined) target(state.Default, `${where}.Default`);
    }
    if (state.Type === 'Wait') {
      const given = ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath'].filter(
        (k) => state[k] !== undefined,
      );
      if (given.length !== 1)
        throw new InvalidAslError(`${where}: needs exactly one of Seconds, Timestamp and their paths`);
      if (state.SecondsPath !== undefined) validatePathField(state.SecondsPath, `${where}.SecondsPath`);
      if (state.TimestampPath !== undefined) validatePathField(state.TimestampPath, `${where}.TimestampPath`);
    }
  }
}

function validateTask(state: AslState, where: string, target: (next: unknown, where: string) => void): void {
  const resource = classifyResource(state.Resource, `${where}.Resource`);
  const parameters = state.Parameters;
  if (resource.kind === 'lambda-invoke') {
    if (!isObject(parameters)) throw new InvalidAslError(`${where}: lambda:invoke needs Parameters`);
    onlyFields(parameters, ['FunctionName', 'Payload', 'Payload.$'], `${where}.Parameters (lambda:invoke)`);
    functionOf(parameters.FunctionName, `${where}.Parameters.FunctionName`);
  }
  if (resource.kind === 'put-events') {
    if (!isObject(parameters)) throw new InvalidAslError(`${where}: events:putEvents needs Parameters`);
    onlyFields(parameters, ['Entries', 'Entries.$'], `${where}.Parameters (events:putEvents)`);
  }
  const retry = state.Retry ?? [];
  if (!Array.isArray(retry)) throw new InvalidAslError(`${where}.Retry: must be an array`);
  retry.forEach((retrier: unknown, i) => {
    const here = `${where}.Retry[${i}]`;
    if (!isObject(retrier)) throw new InvalidAslError(`${here}: must be an object`);
    onlyFields(retrier, RETRIER_FIELDS, here);
    validateErrorEquals(retrier.ErrorEquals, here);
    if (retrier.JitterStrategy !== undefined && retrier.JitterStrategy !== 'NONE') {
      throw new UnsupportedAslError(
        `${here}: JitterStrategy "${String(retrier.JitterStrategy)}" is not supported`,
      );
    }
  });
  const catchers = state.Catch ?? [];
  if (!Array.isArray(catchers)) throw new InvalidAslError(`${where}.Catch: must be an array`);
  catchers.forEach((catcher: unknown, i) => {
    const here = `${where}.Catch[${i}]`;
    if (!isObject(catcher)) throw new InvalidAslError(`${here}: must be an object`);
    onlyFields(catcher, CATCHER_FIELDS, here);
    validateErrorEquals(catcher.ErrorEquals, here);
    target(catcher.Next, `${here}.Next`);
    validatePathField(catcher.ResultPath, `${here}.ResultPath`, { resultPath: true });
  });
}

// ---------------------------------------------------------------------------------------------------------
// The interpreter

/** Does an `ErrorEquals` list match an error? `States.TaskFailed` matches all but `States.Timeout`. */
function errorMatches(errorEquals: readonly string[], error: string): boolean {
  return errorEquals.some(
    (name) =>
      name === error ||
      name === STATES_ERRORS.all ||
      (name === STATES_ERRORS.taskFailed && error !== STATES_ERRORS.timeout),
  );
}

interface Retrier {
  readonly ErrorEquals: readonly string[];
  readonly IntervalSeconds?: number;
  readonly MaxAttempts?: number;
  readonly BackoffRate?: number;
  readonly MaxDelaySeconds?: number;
}

interface Catcher {
  readonly ErrorEquals: readonly string[];
  readonly Next: string;
  readonly ResultPath?: string | null;
}

/**
 * Makes Lambda contexts whose `getRemainingTimeInMillis()` counts down, in real time, from the function's
 * timeout — or from a shorter budget the test gives a step, so that a step can be made to run short of time.
 * An in-process handler is never stopped at its deadline: throw {@link LambdaTimeoutError} to act one out.
 */
export function lambdaContextFactory(
  options: {
    /** Each step's function timeout. @default 3 s, Lambda's default */
    readonly timeoutsMs?: ReadonlyMap<string, number>;
    /** The time left when an invocation starts, by step; a function of the invocation to vary it by call. */
    readonly remainingTimeMs?: Readonly<
      Record<string, number | ((invocation: LambdaInvocation) => number) | undefined>
    >;
    /** @default Date.now */
    readonly now?: () => number;
  } = {},
): LambdaContextFactory {
  const now = options.now ?? Date.now;
  return (invocation) => {
    const override = options.remainingTimeMs?.[invocation.step];
    const budget =
      typeof override === 'function'
        ? override(invocation)
        : (override ?? options.timeoutsMs?.get(invocation.step) ?? DEFAULT_FUNCTION_TIMEOUT_MS);
    const deadline = now() + budget;
    return {
      functionName: invocation.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: invocation.functionArn,
      awsRequestId: randomUUID(),
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    };
  };
}

/** What running one state came to: its history fields, and `end` when the execution ends there. */
type Outcome = Omit<HistoryEntry, 'state' | 'type' | 'input'> & { readonly end?: 'FAILED' };

/** What the states of one execution share. */
interface Execution {
  readonly handlers: StateMachineHandlers;
  readonly options: RunOptions;
  readonly uuid: () => string;
  readonly makeContext: LambdaContextFactory;
  /** Invocations so far, by step. */
  readonly invocations: Map<string, number>;
  contextObject(state: string, retryCount: number): Json;
}

/** An object without its undefined fields, so that results compare equal to literals. */
const compact = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

const nextOf = (state: AslState): string | undefined =>
  state.End === true ? undefined : (state.Next as string);

/**
 * Runs one execution of a definition to its end, with the handlers in-process. Waits and retry back-offs are
 * recorded in the history, never slept. The definition is checked first ({@link assertSupportedDefinition}).
 */
export async function runStateMachine(
  definition: AslDefinition,
  input: unknown,
  handlers: StateMachineHandlers,
  options: RunOptions = {},
): Promise<ExecutionResult> {
  assertSupportedDefinition(definition);
  const executionInput = toJson(input ?? {});
  const stateMachineArn =
    options.stateMachineArn ?? 'arn:aws:states:eu-west-1:123456789012:stateMachine:state-machine';
  const executionName = options.executionName ?? randomUUID();
  const executionArn = `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
  const startTime = (options.startTime ?? new Date()).toISOString();
  const execution: Execution = {
    handlers,
    options,
    uuid: options.uuid ?? randomUUID,
    makeContext: handlers.lambdaContext ?? lambdaContextFactory(),
    invocations: new Map(),
    contextObject: (state, retryCount) => ({
      Execution: { Id: executionArn, Input: executionInput, Name: executionName, StartTime: startTime },
      State: { Name: state, EnteredTime: new Date().toISOString(), RetryCount: retryCount },
      StateMachine: { Id: stateMachineArn, Name: stateMachineArn.split(':').pop()! },
    }),
  };
  const history: HistoryEntry[] = [];
  const ended = (status: ExecutionResult['status'], rest: Partial<ExecutionResult>): ExecutionResult =>
    compact({ status, ...rest, history, executionArn, timeoutSeconds: definition.TimeoutSeconds });

  const maxTransitions = options.maxTransitions ?? MAX_TRANSITIONS;
  let current = definition.StartAt;
  let data = executionInput;
  for (let transitions = 1; transitions <= maxTransitions; transitions++) {
    const state = definition.States[current]!;
    let outcome: Outcome;
    try {
      outcome = await STATE_RUNNERS[state.Type]!(current, state, data, execution);
    } catch (thrown) {
      // States.Runtime and the like end the execution; anything else is a harness fault.
      if (!(thrown instanceof StatesError)) throw thrown;
      outcome = { error: thrown.error, cause: thrown.cause, end: 'FAILED' };
    }
    const { end, ...entry } = outcome;
    history.push(compact({ state: current, type: state.Type, input: data, ...entry }));
    if (end === 'FAILED') return ended('FAILED', { error: outcome.error, cause: outcome.cause });
    if (outcome.next === undefined) return ended('SUCCEEDED', { output: outcome.output });
    data = outcome.output!;
    current = outcome.next;
  }
  return ended('FAILED', {
    error: TRANSITION_LIMIT_ERROR,
    cause: `the execution entered more than ${maxTransitions} states (the interpreter's loop guard)`,
  });
}

type StateRunner = (name: string, state: AslState, input: Json, execution: Execution) => Promise<Outcome>;

const STATE_RUNNERS: Readonly<Record<string, StateRunner>> = {
  Pass: async (name, state, input, execution) => {
    const where = `state "${name}"`;
    const env: Env = { contextObject: execution.contextObject(name, 0), uuid: execution.uuid };
    const effective = applyIoPath(state.InputPath, input, env.contextObject, `${where}.InputPath`);
    const parameters =
      state.Parameters === undefined
        ? effective
        : resolveTemplate(state.Parameters, effective, env, `${where}.Parameters`);
    const result = state.Result === undefined ? parameters : toJson(state.Result);
    const merged = applyResultPath(state.ResultPath, input, result, `${where}.ResultPath`);
    const output = applyIoPath(state.OutputPath, merged, env.contextObject, `${where}.OutputPath`);
    return { output, next: nextOf(state) };
  },

  Wait: async (name, state, input, execution) => {
    const where = `state "${name}"`;
    const contextObject = execution.contextObject(name, 0);
    const effective = applyIoPath(state.InputPath, input, contextObject, `${where}.InputPath`);
    const at = (field: 'SecondsPath' | 'TimestampPath', type: 'number' | 'string'): unknown => {
      if (state[field] === undefined) return undefined;
      const value = select(
        parsePath(state[field] as string, where),
        effective,
        contextObject,
        `${where}.${field}`,
      );
      if (typeof value !== type)
        throw new StatesError(STATES_ERRORS.runtime, `${where}: ${field} is not a ${type}`);
      return value;
    };
    const output = applyIoPath(state.OutputPath, effective, contextObject, `${where}.OutputPath`);
    return {
      output,
      next: nextOf(state),
      waitSeconds: (state.Seconds ?? at('SecondsPath', 'number')) as number | undefined,
      waitUntil: (state.Timestamp ?? at('TimestampPath', 'string')) as string | undefined,
    };
  },

  Choice: async (name, state, input, execution) => {
    const where = `state "${name}"`;
    const contextObject = execution.contextObject(name, 0);
    const effective = applyIoPath(state.InputPath, input, contextObject, `${where}.InputPath`);
    const rules = state.Choices as Record<string, unknown>[];
    const matched = rules.find((rule, i) =>
      evaluateRule(rule, effective, contextObject, `${where}.Choices[${i}]`),
    );
    const next = (matched?.Next ?? state.Default) as string | undefined;
    if (next === undefined) {
      throw new StatesError(
        STATES_ERRORS.noChoiceMatched,
        `${where}: no Choice rule matched and there is no Default`,
      );
    }
    return { output: applyIoPath(state.OutputPath, effective, contextObject, `${where}.OutputPath`), next };
  },

  Succeed: async (name, state, input, execution) => {
    const where = `state "${name}"`;
    const contextObject = execution.contextObject(name, 0);
    const effective = applyIoPath(state.InputPath, input, contextObject, `${where}.InputPath`);
    return { output: applyIoPath(state.OutputPath, effective, contextObject, `${where}.OutputPath`) };
  },

  Fail: async (_name, state) => ({
    error: state.Error as string | undefined,
    cause: state.Cause as string | undefined,
    end: 'FAILED',
  }),

  Task: async (name, state, input, execution) => {
    const where = `state "${name}"`;
    const retriers = (state.Retry ?? []) as Retrier[];
    const catchers = (state.Catch ?? []) as Catcher[];
    const retryCounts = retriers.map(() => 0);
    const retries: RetryRecord[] = [];
    for (let attempt = 1; ; attempt++) {
      const env: Env = { contextObject: execution.contextObject(name, attempt - 1), uuid: execution.uuid };
      try {
        const effective = applyIoPath(state.InputPath, input, env.contextObject, `${where}.InputPath`);
        const parameters =
          state.Parameters === undefined
            ? effective
            : resolveTemplate(state.Parameters, effective, env, `${where}.Parameters`);
        const result = await invokeResource(name, state, parameters, attempt, execution);
        const selected =
          state.ResultSelector === undefined
            ? result
            : resolveTemplate(state.ResultSelector, result, env, `${where}.ResultSelector`);
        const merged = applyResultPath(state.ResultPath, input, selected, `${where}.ResultPath`);
        const output = applyIoPath(state.OutputPath, merged, env.contextObject, `${where}.OutputPath`);
        return {
          output,
          next: nextOf(state),
          attempts: attempt,
          retries: retries.length ? retries : undefined,
        };
      } catch (thrown) {
        // Not even States.ALL retries or catches States.Runtime (concepts-error-handling, link above).
        if (!(thrown instanceof StatesError) || thrown.error === STATES_ERRORS.runtime) throw thrown;
        const { error, cause } = thrown;
        // The first retrier that matches decides, even with its attempts used up (spec: "Retrying after error").
        const r = retriers.findIndex((retrier) => errorMatches(retrier.ErrorEquals, error));
        const retrier = retriers[r];
        if (retrier && retryCounts[r]! < (retrier.MaxAttempts ?? 3)) {
          const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** retryCounts[r]!;
          retries.push({ error, waitSeconds: Math.min(interval, retrier.MaxDelaySeconds ?? Infinity) });
          retryCounts[r]!++;
          continue;
        }
        const tried = { error, cause, attempts: attempt, retries: retries.length ? retries : undefined };
        const catcher = catchers.find((c) => errorMatches(c.ErrorEquals, error));
        if (!catcher) return { ...tried, end: 'FAILED' };
        const errorOutput = compact({ Error: error, Cause: cause }) as Json;
        const output = applyResultPath(catcher.ResultPath, input, errorOutput, `${where}.Catch.ResultPath`);
        return { ...tried, output, next: catcher.Next };
      }
    }
  },
};

/** Runs a Task's resource: a Lambda function (by ARN or `lambda:invoke`) or `events:putEvents`. */
async function invokeResource(
  name: string,
  state: AslState,
  parameters: Json,
  attempt: number,
  execution: Execution,
): Promise<Json> {
  const { handlers, options } = execution;
  const resource = classifyResource(state.Resource, `state "${name}".Resource`);
  if (resource.kind === 'put-events') {
    if (!handlers.putEvents) {
      throw new StateMachineHarnessError(`state "${name}" puts events, but no putEvents handler was given`);
    }
    const entries = (parameters as { Entries?: unknown }).Entries;
    if (!Array.isArray(entries)) {
      throw new StatesError(STATES_ERRORS.runtime, `state "${name}": Entries is not an array`);
    }
    let result: PutEventsResult | void;
    try {
      result = await handlers.putEvents(structuredClone(entries));
    } catch (thrown) {
      if (isHarnessFault(thrown)) throw thrown;
      const error = thrown instanceof Error ? thrown : new Error(String(thrown));
      throw new StatesError(error.name, error.message);
    }
    return toJson(
      result ?? { Entries: entries.map(() => ({ EventId: execution.uuid() })), FailedEntryCount: 0 },
    );
  }
  const target =
    resource.kind === 'lambda'
      ? resource
      : functionOf((parameters as { FunctionName?: unknown }).FunctionName, `state "${name}".FunctionName`);
  const payload =
    resource.kind === 'lambda' ? parameters : ((parameters as { Payload?: Json }).Payload ?? {});
  const step = options.functionSteps?.get(target.functionName) ?? target.functionName;
  const invocation = (execution.invocations.get(step) ?? 0) + 1;
  execution.invocations.set(step, invocation);
  const context = execution.makeContext({
    step,
    functionName: target.functionName,
    functionArn: target.functionArn,
    state: name,
    invocation,
    attempt,
  });
  let returned: unknown;
  try {
    returned = await handlers.lambda(step, structuredClone(payload), context);
  } catch (thrown) {
    if (isHarnessFault(thrown)) throw thrown;
    const reported = lambdaErrorOf(thrown, context.awsRequestId);
    throw new StatesError(reported.Error, reported.Cause);
  }
  const result = toJson(returned);
  // `lambda:invoke` returns the whole Invoke response; a function ARN resource only the payload
  // (https://docs.aws.amazon.com/step-functions/latest/dg/connect-lambda.html).
  return resource.kind === 'lambda'
    ? result
    : { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
}

// ---------------------------------------------------------------------------------------------------------
// The synthesized ELT definition

/** The ELT state machine as deployed, ready for {@link runStateMachine}. */
export interface EltDefinition {
  readonly definition: AslDefinition;
  /** The logical id of each step's function (the function name in the definition's ARNs) → the step. */
  readonly functionSteps: ReadonlyMap<string, EltStep>;
  /** Each step's function timeout, from the template. */
  readonly functionTimeoutsMs: ReadonlyMap<EltStep, number>;
  readonly stateMachineArn: string;
}

interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
}

/** Where a definition is deployed, for the tokens of its `DefinitionString`. */
export interface DefinitionEnv {
  readonly resources: Readonly<Record<string, TemplateResource>>;
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/**
 * Resolves a template's `DefinitionString` (a string, or an `Fn::Join` of strings and tokens) to the ASL
 * JSON. The ARN of a function of the template becomes `arn:aws:lambda:<region>:<account>:function:<logical
 * id>`, pseudo parameters their values, and any other reference a marker naming it (`<ImportValue:…>`,
 * `<Ref:…>`, `<GetAtt:…>`), which no state of this subset needs to look into.
 */
export function resolveDefinitionString(definitionString: unknown, env: DefinitionEnv): AslDefinition {
  const resolve = (token: unknown): string => {
    if (typeof token === 'string') return token;
    if (isObject(token)) {
      const entries = Object.entries(token);
      const [fn, arg] = entries[0] ?? [];
      if (entries.length === 1) {
        if (fn === 'Fn::Join' && Array.isArray(arg) && typeof arg[0] === 'string' && Array.isArray(arg[1])) {
          return (arg[1] as unknown[]).map(resolve).join(arg[0]);
        }
        if (fn === 'Ref' && typeof arg === 'string') {
          const pseudo: Record<string, string> = {
            'AWS::Partition': env.partition,
            'AWS::Region': env.region,
            'AWS::AccountId': env.account,
            'AWS::URLSuffix': 'amazonaws.com',
          };
          return pseudo[arg] ?? `<Ref:${arg}>`;
        }
        if (
          fn === 'Fn::GetAtt' &&
          Array.isArray(arg) &&
          typeof arg[0] === 'string' &&
          typeof arg[1] === 'string'
        ) {
          if (arg[1] === 'Arn' && env.resources[arg[0]]?.Type === 'AWS::Lambda::Function') {
            return `arn:${env.partition}:lambda:${env.region}:${env.account}:function:${arg[0]}`;
          }
          return `<GetAtt:${arg[0]}.${arg[1]}>`;
        }
        if (fn === 'Fn::ImportValue' && typeof arg === 'string') return `<ImportValue:${arg}>`;
      }
    }
    throw new StateMachineHarnessError(`DefinitionString: cannot resolve ${JSON.stringify(token)}`);
  };
  return JSON.parse(resolve(definitionString)) as AslDefinition;
}

/**
 * The ELT state machine of the app (by default `synthesize()`: cdk.json, account 123456789012, eu-west-1),
 * found through the construct tree, with its functions mapped to the ELT steps.
 */
export function loadEltDefinition(app: SynthesizedApp = synthesize()): EltDefinition {
  const orchestration = app.stateless.orchestration;
  if (!orchestration) throw new StateMachineHarnessError('the stateless stack has no ELT orchestration');
  const stack = Stack.of(orchestration);
  const resources = (app.statelessTemplate.toJSON() as { Resources: Record<string, TemplateResource> })
    .Resources;
  const resourceOf = (construct: IConstruct, type: string): [string, TemplateResource] => {
    const id = stack.getLogicalId(construct.node.defaultChild as CfnElement);
    const resource = resources[id];
    if (resource?.Type !== type)
      throw new StateMachineHarnessError(`${construct.node.path}: no ${type} ${id}`);
    return [id, resource];
  };
  const functionSteps = new Map<string, EltStep>();
  const functionTimeoutsMs = new Map<EltStep, number>();
  for (const step of ELT_STEPS) {
    const [id, fn] = resourceOf(orchestration.functions[step].function, 'AWS::Lambda::Function');
    functionSteps.set(id, step);
    functionTimeoutsMs.set(step, Number(fn.Properties?.Timeout ?? DEFAULT_FUNCTION_TIMEOUT_MS / 1000) * 1000);
  }
  const [, stateMachine] = resourceOf(orchestration.stateMachine, 'AWS::StepFunctions::StateMachine');
  const concrete = (value: string, fallback: string): string =>
    Token.isUnresolved(value) ? fallback : value;
  const env: DefinitionEnv = {
    resources,
    partition: 'aws',
    region: concrete(stack.region, 'eu-west-1'),
    account: concrete(stack.account, '123456789012'),
  };
  const definition = resolveDefinitionString(stateMachine.Properties?.DefinitionString, env);
  const name = stateMachine.Properties?.StateMachineName;
  const stateMachineArn = `arn:aws:states:${env.region}:${env.account}:stateMachine:${typeof name === 'string' ? name : 'elt'}`;
  return { definition, functionSteps, functionTimeoutsMs, stateMachineArn };
}

// ---------------------------------------------------------------------------------------------------------
// The ELT run

/** A step handler as `lambdas/elt/<step>.ts` exports it. */
export type EltStepHandler = (input: Json, context: LambdaContext) => unknown;

// Imported on first use: the modules read their settings (RAW_BUCKET, REDSHIFT_…) when they load.
const ELT_HANDLER_MODULES: Readonly<Record<EltStep, () => Promise<{ readonly handler: unknown }>>> = {
  plan: () => import('../../lambdas/elt/plan.js'),
  load: () => import('../../lambdas/elt/load.js'),
  transform: () => import('../../lambdas/elt/transform.js'),
  test: () => import('../../lambdas/elt/test.js'),
  publish: () => import('../../lambdas/elt/publish.js'),
  fail: () => import('../../lambdas/elt/fail.js'),
  compact: () => import('../../lambdas/elt/compact.js'),
};

/** Options of {@link executeEltRun}. */
export interface EltRunOptions {
  /** Receives the run's `EltRunSucceeded`/`EltRunFailed` entries. */
  readonly putEvents: PutEventsHandler;
  /** @default {} — what the schedule sends */
  readonly input?: unknown;
  /** @default loadEltDefinition() */
  readonly elt?: EltDefinition;
  /**
   * Handlers that replace the real ones, by step.
   * @default the `handler` of `lambdas/elt/<step>.ts`, which needs its environment (lambdas/elt/settings.ts)
   */
  readonly handlers?: Partial<Record<EltStep, EltStepHandler>>;
  /** The time a step's context says is left when it starts, instead of its function's timeout. */
  readonly remainingTimeMs?: Partial<Record<EltStep, number | ((invocation: LambdaInvocation) => number)>>;
  readonly run?: Omit<RunOptions, 'functionSteps'>;
}

/** Runs the deployed ELT definition once, with the step handlers in-process. */
export async function executeEltRun(options: EltRunOptions): Promise<ExecutionResult> {
  const elt = options.elt ?? loadEltDefinition();
  const resolved = new Map<string, EltStepHandler>();
  const handlerOf = async (step: string): Promise<EltStepHandler> => {
    const known = resolved.get(step);
    if (known) return known;
    if (!(ELT_STEPS as readonly string[]).includes(step)) {
      throw new StateMachineHarnessError(`the definition invokes "${step}", which is no ELT step`);
    }
    const eltStep = step as EltStep;
    const handler = options.handlers?.[eltStep] ?? (await ELT_HANDLER_MODULES[eltStep]()).handler;
    if (typeof handler !== 'function') {
      throw new StateMachineHarnessError(`lambdas/elt/${step}.ts exports no function "handler"`);
    }
    resolved.set(step, handler as EltStepHandler);
    return handler as EltStepHandler;
  };
  return runStateMachine(
    elt.definition,
    options.input ?? {},
    {
      lambda: async (step, payload, context) => (await handlerOf(step))(payload, context),
      putEvents: options.putEvents,
      lambdaContext: lambdaContextFactory({
        timeoutsMs: elt.functionTimeoutsMs as ReadonlyMap<string, number>,
        remainingTimeMs: options.remainingTimeMs ?? {},
      }),
    },
    { stateMachineArn: elt.stateMachineArn, ...options.run, functionSteps: elt.functionSteps },
  );
}
