import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FUNCTION_ENV } from '../../lambdas/commons/settings.js';
import { EltError } from '../core/util/errors.js';

/** A Lambda function as `cdk synth` wrote it: its bundle in cdk.out and its configuration. */
export interface BundledFunction {
  /** The stack and construct path, e.g. `elt-local-stateless/Landing/Function`. */
  readonly path: string;
  /** The bundle's entry module (absolute). */
  readonly entry: string;
  /** The handler's export name (`index.handler` → `handler`). */
  readonly exportName: string;
  /** The environment variables with literal values. */
  readonly environment: Readonly<Record<string, string>>;
  /** Variables whose values CloudFormation resolves at deploy time (a bucket name, say): the caller sets them. */
  readonly deployTimeVariables: readonly string[];
  readonly timeoutSeconds: number;
}

/** cdk.out has no such function, or it is not a bundled Node.js function. The message says what to run. */
export class BundleNotFoundError extends EltError {}

/** The function needs variables CloudFormation resolves at deploy time, and the caller gave no value. */
export class DeployTimeVariablesMissingError extends EltError {}

interface TemplateResource {
  readonly Type: string;
  readonly Metadata?: Record<string, unknown>;
  readonly Properties?: {
    readonly Handler?: string;
    readonly Timeout?: number;
    readonly Environment?: { readonly Variables?: Record<string, unknown> };
  };
}

/**
 * Finds a function's bundle in a cloud assembly: the Lambda resource whose construct path is
 * `<stack>/<constructPath>/Resource`, its asset directory and handler, and its environment.
 */
export function findBundledFunction(cdkOut: string, stack: string, constructPath: string): BundledFunction {
  const dir = resolve(cdkOut);
  const templateFile = join(dir, `${stack}.template.json`);
  const synth = `npx cdk synth -c env=local (or npm run localstack:deploy)`;
  if (!existsSync(templateFile)) {
    throw new BundleNotFoundError(`no template for stack ${stack} in ${dir}: run ${synth} first`);
  }
  const template = JSON.parse(readFileSync(templateFile, 'utf8')) as {
    Resources?: Record<string, TemplateResource>;
  };
  const path = `${stack}/${constructPath}`;
  const resource = Object.values(template.Resources ?? {}).find(
    (r) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['aws:cdk:path'] === `${path}/Resource`,
  );
  if (!resource) throw new BundleNotFoundError(`stack ${stack} in ${dir} has no function ${constructPath}`);
  const asset = resource.Metadata?.['aws:asset:path'];
  const handler = resource.Properties?.Handler ?? '';
  const m = /^([\w./-]+)\.(\w+)$/.exec(handler);
  if (typeof asset !== 'string' || !m) {
    throw new BundleNotFoundError(
      `${path} in ${dir} is not a bundled Node.js function (no asset or handler)`,
    );
  }
  const base = join(dir, asset, m[1]!);
  const entry = ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((f) => existsSync(f));
  if (!entry) {
    throw new BundleNotFoundError(
      `the bundle of ${path} (${join(dir, asset)}) is missing: run ${synth} again (bundling may have been skipped)`,
    );
  }
  const environment: Record<string, string> = {};
  const deployTimeVariables: string[] = [];
  for (const [name, value] of Object.entries(resource.Properties?.Environment?.Variables ?? {})) {
    if (typeof value === 'string') environment[name] = value;
    else deployTimeVariables.push(name);
  }
  return {
    path,
    entry,
    exportName: m[2]!,
    environment,
    deployTimeVariables,
    timeoutSeconds: resource.Properties?.Timeout ?? 3,
  };
}

/** Options of {@link BundledFunctionInvoker}. */
export interface BundledFunctionInvokerOptions {
  /**
   * The execution environment's variables: the process's own, then the function's literal ones, then these
   * (which must include every deploy-time variable).
   */
  readonly environment?: Readonly<Record<string, string>>;
  /** Where the function's log lines go. @default process.stderr */
  readonly logTo?: NodeJS.WritableStream;
}

/** An invocation that failed: the handler threw, or it ran past the function's timeout. */
export class InvocationError extends EltError {
  constructor(
    message: string,
    readonly timedOut = false,
  ) {
    super(message);
  }
}

// The execution environment: imports the bundle once (its init code runs then, as at a cold start), then
// calls the handler for each event with a context like Lambda's. Plain JavaScript: the bundle is too.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const started = import(workerData.entry);
parentPort.on('message', async ({ id, event, requestId }) => {
  try {
    const mod = await started;
    const handler = mod[workerData.exportName];
    if (typeof handler !== 'function') throw new Error('the bundle exports no function ' + workerData.exportName);
    const context = {
      awsRequestId: requestId,
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      getRemainingTimeInMillis: () => Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT) * 1000,
    };
    parentPort.postMessage({ id, ok: true, value: await handler(event, context) });
  } catch (error) {
    parentPort.postMessage({ id, ok: false, error: String(error && error.message || error) });
  }
});
`;

interface Reply {
  readonly id: number;
  readonly ok: boolean;
  readonly value?: unknown;
  readonly error?: string;
}

/**
 * Runs a bundled function the way Lambda does, in a worker thread of this process: its own environment
 * variables, module initialization once per execution environment, one event at a time, the function's
 * timeout (a timed-out environment is discarded and the next invocation starts a fresh one), and its
 * stdout and stderr (logs) kept off this process's stdout.
 */
export class BundledFunctionInvoker {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly env: Record<string, string>;

  constructor(
    readonly fn: BundledFunction,
    private readonly options: BundledFunctionInvokerOptions = {},
  ) {
    const missing = fn.deployTimeVariables.filter((v) => options.environment?.[v] === undefined);
    if (missing.length > 0) {
      throw new DeployTimeVariablesMissingError(
        `${fn.path} needs ${missing.join(', ')}, which CloudFormation sets at deploy time`,
      );
    }
    this.env = {
      ...(process.env as Record<string, string>),
      AWS_LAMBDA_FUNCTION_NAME: fn.path.replace(/\//g, '-'),
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
      ...fn.environment,
      ...options.environment,
    };
    // Source maps need a flag the worker cannot take as an env var; the bundle runs the same without it.
    delete this.env[FUNCTION_ENV.nodeOptions];
  }

  /** Invokes the handler with `event`; resolves with what it returned. */
  async invoke(event: unknown, requestId: string): Promise<unknown> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        this.discard();
        reject(new InvocationError(`${this.fn.path} timed out after ${this.fn.timeoutSeconds} s`, true));
      }, this.fn.timeoutSeconds * 1000);
      const onMessage = (reply: Reply): void => {
        if (reply.id !== id) return;
        cleanup();
        if (reply.ok) resolvePromise(reply.value);
        else reject(new InvocationError(reply.error ?? 'the handler failed'));
      };
      const onError = (error: Error): void => {
        cleanup();
        this.discard();
        reject(new InvocationError(`${this.fn.path} crashed: ${error.message}`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.postMessage({ id, event, requestId });
    });
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { entry: pathToFileURL(this.fn.entry).href, exportName: this.fn.exportName },
      env: this.env,
      stdout: true,
      stderr: true,
    });
    const logTo = this.options.logTo ?? process.stderr;
    worker.stdout.pipe(logTo, { end: false });
    worker.stderr.pipe(logTo, { end: false });
    this.worker = worker;
    return worker;
  }

  private discard(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}
