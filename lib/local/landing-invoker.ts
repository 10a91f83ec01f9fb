import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LandingResult } from '../core/landing/land-batch.js';
import type { SqsBatchResponse, SqsEvent } from '../core/landing/sqs-event.js';
import {
  packBatch,
  toSqsRecords,
  type PackedBatch,
  type ReceivedBatch,
  type SqsSourceInfo,
} from './sqs-records.js';

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
  readonly batch: PackedBatch;
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

/**
 * Runs the landing handler in worker threads, one batch per worker at a time. Each invocation is isolated
 * like a Lambda execution environment: the event crosses as data and the handler shares no state with
 * the bus. A worker that dies fails its batch (which the queue redelivers) and is replaced, as Lambda
 * replaces a crashed environment. Landing then runs on the other cores while this thread publishes.
 */
export class WorkerLandingInvoker implements SqsInvoker {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Pending>();
  private readonly waiting: ((w: Worker) => void)[] = [];
  private nextId = 1;
  private closing = false;
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
    if (this.closing) throw new Error('the landing workers are closed');
    const worker = this.idle.pop() ?? (await new Promise<Worker>((resolve) => this.waiting.push(resolve)));
    const id = this.nextId++;
    return new Promise<InvocationOutcome>((resolve, reject) => {
      this.busy.set(worker, { id, resolve, reject });
      const request: WorkerRequest = { id, batch: packBatch(batch), source };
      worker.postMessage(request, [request.batch.numbers.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const workers = [...this.idle, ...this.busy.keys()];
    this.idle.length = 0;
    await Promise.all(workers.map((w) => w.terminate()));
  }

  private spawn(): Worker {
    const worker = new Worker(this.url, {
      workerData: this.config,
      // Running from TypeScript sources (the tests), the worker needs the same TypeScript loader.
      ...(this.fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
    });
    worker.on('message', (reply: WorkerReply) => {
      const pending = this.busy.get(worker);
      if (!pending || pending.id !== reply.id) return;
      this.busy.delete(worker);
      this.release(worker);
      if (reply.ok) pending.resolve({ response: reply.response, result: reply.result });
      else pending.reject(new Error(reply.error));
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
      pending?.reject(new Error(`landing worker ${why}`));
      this.release(this.spawn());
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    return worker;
  }

  private release(worker: Worker): void {
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
  }
}

/** One landing worker per core (the publishing thread mostly waits on them), at most four. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}
