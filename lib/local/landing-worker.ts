// A landing worker thread: the Lambda execution environment of the embedded runtime.
import { parentPort, workerData } from 'node:worker_threads';
import { FsObjectStore } from '../adapters/store/fs-object-store.js';
import { createEventValidator } from '../core/events/validator.js';
import { landSqsEvent } from '../core/landing/sqs-event.js';
import { systemClock } from '../core/ports.js';
import type { WorkerLandingConfig, WorkerReply, WorkerRequest } from './landing-invoker.js';
import { bodyBytesOf, toSqsRecords } from './sqs-records.js';

const config = workerData as WorkerLandingConfig;
const deps = {
  store: new FsObjectStore(config.storeRoot, { durable: config.durable ?? true }),
  validator: createEventValidator(),
  clock: systemClock,
  ...(config.gzipLevel !== undefined ? { gzipLevel: config.gzipLevel } : {}),
};

parentPort?.on('message', (request: WorkerRequest) => {
  const records = toSqsRecords(request.batch, request.source);
  landSqsEvent({ Records: records }, deps, bodyBytesOf(records)).then(
    ({ response, result }) =>
      parentPort?.postMessage({ id: request.id, ok: true, response, result } satisfies WorkerReply),
    (error: unknown) =>
      parentPort?.postMessage({
        id: request.id,
        ok: false,
        error: (error as Error).message,
      } satisfies WorkerReply),
  );
});
