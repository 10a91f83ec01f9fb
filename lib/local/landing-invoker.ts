import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { LandingResult } from '../core/landing/land-batch.js';
import type { SqsBatchResponse, SqsEvent } from '../core/landing/sqs-event.js';
import { toSqsRecords, type ReceivedMessageData, type SqsSourceInfo } from './sqs-records.js';

/** What an invocation returned: Lambda's response and, when the handler is the landing code, its result. */
export interface InvocationOutcome {
  readonly response: SqsBatchResponse | void;
  readonly result?: LandingResult;
}

/** Runs the handler for a batch of received messages, the way Lambda runs a function for an event. */
export interface SqsInvoker {
  invoke(messages: readonly ReceivedMessageData[], source: SqsSourceInfo): Promise<InvocationOutcome>;
  close(): Promise<void>;
}

/** A Lambda-style handler of SQS batches. */
export type SqsHandler = (event: SqsEvent) => Promise<SqsBatchResponse | void>;

/** Invokes a handler in this thread. */
export function inProcessInvoker(handler: SqsHandler): SqsInvoker {
  return {
    invoke: async (messages, source) => ({
      response: await handler({ Records: toSqsRecords(messages, source) }),
    }),
    close: async () => undefined,
  };
}

/** Where the landing workers write: a local directory (the embedded object store). */
export interface WorkerLandingConfig {
  readonly storeRoot: string;
  readonly durable?: boolean;
  readonly gzipLevel?: number;
}

/** A request to a landing worker and its answer. */
export interface WorkerRequest {
  readonly id: number;
  readonly messages: readonly ReceivedMessageData[];
  readonly source: SqsSourceInfo;
}
export type WorkerReply =
  | {
      readonly id: number;
      readonly ok: true;
      readonly response: SqsBatchResponse;
      readonly result: LandingResult;
    }
  | { readonly id: number; readonly ok: false; readonly error: string };

/**
 * Runs the landing handler in worker threads, one batch per worker at a time: each invocation is
 * isolated like a Lambda execution environment (the event crosses as data, the handler shares no state
 * with the bus), and landing uses the other cores while this thread publishes.
 */
export class WorkerLandingInvoker implements SqsInvoker {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: ((w: Worker) => void)[] = [];
  private readonly pending = new Map<
    number,
    { resolve: (o: InvocationOutcome) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;

  constructor(config: WorkerLandingConfig, workers = defaultWorkerCount()) {
    const self = import.meta.url;
    const fromSource = self.endsWith('.ts');
    const url = new URL(`./landing-worker.${fromSource ? 'ts' : 'js'}`, self);
    for (let i = 0; i < workers; i++) {
      // Running from TypeScript sources (tests), the worker needs the same TypeScript loader.
      const worker = new Worker(url, {
        workerData: config,
        ...(fromSource ? { execArgv: ['--import', 'tsx'] } : {}),
      });
      worker.on('message', (reply: WorkerReply) => this.settle(worker, reply));
      worker.on('error', (error) => this.fail(error));
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  async invoke(messages: readonly ReceivedMessageData[], source: SqsSourceInfo): Promise<InvocationOutcome> {
    const worker = this.idle.pop() ?? (await new Promise<Worker>((resolve) => this.waiting.push(resolve)));
    const id = this.nextId++;
    return new Promise<InvocationOutcome>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const request: WorkerRequest = { id, messages, source };
      worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private settle(worker: Worker, reply: WorkerReply): void {
    const p = this.pending.get(reply.id);
    this.pending.delete(reply.id);
    const next = this.waiting.shift();
    if (next) next(worker);
    else this.idle.push(worker);
    if (!p) return;
    if (reply.ok) p.resolve({ response: reply.response, result: reply.result });
    else p.reject(new Error(reply.error));
  }

  private fail(error: Error): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }
}

/** One landing worker per core beyond the one that publishes, at least one, at most four. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(4, availableParallelism() - 1));
}
