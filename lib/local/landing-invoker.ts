import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LandingResult } from '../core/landing/land-batch.js';
import { EltError } from '../core/util/errors.js';
import type { SqsBatchResponse, SqsEvent } from '../core/landing/sqs-event.js';
import { toSqsRecords, transferList, type ReceivedBatch, type SqsSourceInfo } from './sqs-records.js';

/** What an invocation returned: Lambda's response and, when the handler is the landing code, its result. */
export interface InvocationOutcome {
  readonly response: SqsBatchResponse | void;
  readonly result?: LandingResult;
}

/** Runs the handler for a batch of received messages, the way Lambda runs a function for an event. */
export interface SqsInvoker {
  invoke(batch: ReceivedBatch, source: SqsSourceInfo): Promise<InvocationOutcome>;
  close(): Promise<void>;
}

/** A Lambda-style handler of SQS batches. */
export type SqsHandler = (event: SqsEvent) => Promise<SqsBatchResponse | void>;

/** Invokes a handler in this thread. */
export function inProcessInvoker(handler: SqsHandler): SqsInvoker {
  return {
    invoke: async (batch, source) => ({ response: await handler({ Records: toSqsRecords(batch, source) }) }),
    close: async () => undefined,
  };
}

/** Where the landing workers write: a local directory (the embedded object store). */
export interface WorkerLandingConfig {
  readonly storeRoot: string;
  readonly durable?: boolean;
  readonly gzipLevel?: number;
}

/** A request to a landing worker. */
export interface WorkerRequest {
  readonly id: number;
  readonly batch: ReceivedBatch;
  readonly source: SqsSourceInfo;
}

/** A landing worker's answer. */
export type WorkerReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly response: SqsBatchResponse;
      readonly result: LandingResult;
    }
  | { readonly id: number; readonly ok: false; readonly error: string };

interface Pending {
  readonly id: number;
  readonly resolve: (o: InvocationOutcome) => void;
  readonly reject: (e: Error) => void;
}

/** The landing workers keep dying before they answer: starting more would only spin. */
export class LandingWorkersUnavailableError extends EltError {
  constructor(readonly why: string) {
    super(`landing workers cannot run: ${why}`);
  }
}

/** A batch a landing worker did not land: the handler failed, or the worker died before answering. */
export class LandingInvocationError extends EltError {}

/** An invocation arrived after {@link WorkerLandingInvoker.close}. */
export class LandingWorkersClosedError extends EltError {
  constructor() {
    super('the landing workers are closed');
  }
}

// Workers that die before answering anything, in a row, before the invoker stops replacing them.
const MAX_START_FAILURES = 3;

/**
 * Runs the landing handler in worker threads, one batch per worker at a time. Each invocation is isolated
 * like a Lambda execution environment: the event crosses as data and the handler shares no state with
 * the bus. A worker that dies fails its batch (which the queue redelivers) and is replaced, as Lambda
 * replaces a crashed environment. Landing then runs on the other cores while this thread publishes.
 */
export class WorkerLandingInvoker implements SqsInvoker {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly waiting: { resolve: (w: Worker) => void; reject: (e: Error) => void }[] = [];
  private nextId = 1;
  private closing = false;
  private startFailures = 0;
  private broken: LandingWorkersUnavailableError | undefined;
  private readonly url: URL;
  private readonly fromSource: boolean;

  constructor(
    private readonly config: WorkerLandingConfig,
    workers = defaultWorkerCount(),
  ) {
    const self = import.meta.url;
    this.fromSource = self.endsWith('.ts');
    this.url = new URL(`./landing-worker.${this.fromSource ? 'ts' : 'js'}`, self);
    for (let i = 0; i < workers; i++) this.release(this.spawn());
  }

  async invoke(batch: ReceivedBatch, source: SqsSourceInfo): Promise<InvocationOutcome> {
    if (this.broken) throw this.broken;
    if (this.closing) throw new LandingWorkersClosedError();
    const worker =
      this.idle.pop() ??
      (await new Promise<Worker>((resolve, reject) => this.waiting.push({ resolve, reject })));
    const id = this.nextId++;
    return new Promise<InvocationOutcome>((resolve, reject) => {
      this.busy.set(worker, { id, resolve, reject });
      const request: WorkerRequest = { id, batch, source };
      worker.postMessage(request, transferList(batch));
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const w of this.waiting.splice(0)) w.reject(new LandingWorkersClosedError());
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private spawn(): Worker {
    // Running from TypeScript sources (the tests), the worker needs the same TypeScript loader. On Node 20,
    // `--import tsx` in execArgv does not reach a worker (tsx registers its hooks on the main thread only
    // there), so the worker registers them through tsx's API before it imports the landing module.
    const worker = this.fromSource
      ? new Worker(
          `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
            `.then((tsx) => { tsx.register(); return import(${JSON.stringify(this.url.href)}); });`,
          { eval: true, workerData: this.config },
        )
      : new Worker(this.url, { workerData: this.config });
    let served = false;
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.busy.get(worker);
      if (!pending || pending.id !== reply.id) return;
      served = true;
      this.startFailures = 0;
      this.busy.delete(worker);
      this.release(worker);
      if (reply.ok) pending.resolve({ response: reply.response, result: reply.result });
      else pending.reject(new LandingInvocationError(reply.error));
    });
    let gone = false;
    const lost = (why: string): void => {
      // 'error' is followed by 'exit': replace the worker once.
      if (this.closing || gone) return;
      gone = true;
      const pending = this.busy.get(worker);
      this.busy.delete(worker);
      const at = this.idle.indexOf(worker);
      if (at >= 0) this.idle.splice(at, 1);
      pending?.reject(new LandingInvocationError(`landing worker ${why}`));
      if (!served && ++this.startFailures >= MAX_START_FAILURES) {
        this.broken = new LandingWorkersUnavailableError(
          `${MAX_START_FAILURES} workers in a row ${why} before answering`,
        );
        for (const w of this.waiting.splice(0)) w.reject(this.broken);
        return;
      }
      this.release(this.spawn());
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    return worker;
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next.resolve(worker);
    else this.idle.push(worker);
  }
}

/** One landing worker per core (the publishing thread mostly waits on them), at most four. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}
