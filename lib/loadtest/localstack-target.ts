import { Writable } from 'node:stream';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeBus } from '../adapters/bus/eventbridge-bus.js';
import { S3ObjectStore } from '../adapters/store/s3-object-store.js';
import type { BundledFunction } from '../local/bundled-function.js';
import { BundledFunctionInvoker } from '../local/bundled-function.js';
import { SqsLambdaRunner } from '../local/sqs-lambda-runner.js';
import { offerToBus } from './bus-offer.js';
import type { LoadTarget } from './load-target.js';
import { landingSettings } from '../../lambdas/land/settings.js';

/** Options of {@link startLocalStackTarget}: the deployed stack's outputs and the landing function. */
export interface LocalStackTargetOptions {
  readonly busName: string;
  readonly queueUrl: string;
  readonly bucket: string;
  /** The landing function's bundle in cdk.out. */
  readonly fn: BundledFunction;
  /** Records per invocation, as `elt land --batch-size`. @default 100 */
  readonly batchSize?: number;
  /** As `elt land --batch-window`. @default 1,000 ms */
  readonly batchWindowMs?: number;
  /** Function logs (stderr of the landing worker). @default discarded */
  readonly logTo?: NodeJS.WritableStream;
}

/**
 * The deployed path on LocalStack under load: PutEvents (10 entries a call) to the deployed bus, its rule
 * delivering to the landing queue, and `elt land`'s runner (Lambda's SQS event source mapping) invoking
 * the landing function's bundle into the raw bucket. The backlog is the queue's
 * ApproximateNumberOfMessages and ApproximateNumberOfMessagesNotVisible.
 */
export async function startLocalStackTarget(options: LocalStackTargetOptions): Promise<LoadTarget> {
  const sqs = new SQSClient({});
  const bus = new EventBridgeBus({ busName: options.busName });
  const store = new S3ObjectStore({ bucket: options.bucket, forcePathStyle: true });
  const sink = options.logTo ?? new Writable({ write: (_chunk, _encoding, done) => done() });
  const invoker = new BundledFunctionInvoker(options.fn, {
    environment: landingSettings.toEnvironment({ bucket: options.bucket }),
    logTo: sink,
  });
  const runner = new SqsLambdaRunner({
    sqs,
    queueUrl: options.queueUrl,
    invoke: (event, requestId) => invoker.invoke(event, requestId),
    batchSize: options.batchSize ?? 100,
    batchWindowMs: options.batchWindowMs ?? 1000,
  });
  const depth = async (): Promise<{ total: number; parts: Record<string, number> }> => {
    const out = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: options.queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const visible = Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
    const notVisible = Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    return { total: visible + notVisible, parts: { visible, notVisible } };
  };
  // Fails here, before any load, when LocalStack is down or the queue is missing.
  await depth();
  const stop = new AbortController();
  const running = runner.run({ signal: stop.signal });
  running.catch(() => undefined);

  return {
    transport: 'localstack',
    entriesPerCall: 10,
    store,
    landedClock: 'observed',
    describe: () =>
      `PutEvents → eventbridge:${options.busName} → ${options.queueUrl} → elt land (${options.fn.path}) → s3://${options.bucket}/`,
    eventIds: (events) => events.map((e) => e.eventId),
    offer: (events) => offerToBus(bus, events, (error) => (error as Error).name),
    depth,
    stopOffering: async () => undefined,
    timeline: () => [],
    facts: () => ({
      bus: options.busName,
      queueUrl: options.queueUrl,
      bucket: options.bucket,
      function: options.fn.path,
      batchSize: options.batchSize ?? 100,
      batchWindowMs: options.batchWindowMs ?? 1000,
      runner: runner.stats,
    }),
    close: async () => {
      stop.abort();
      await running.catch(() => undefined);
      await invoker.close();
    },
  };
}
