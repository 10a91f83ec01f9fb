import { readFileSync } from 'node:fs';
import { SQSClient } from '@aws-sdk/client-sqs';
import { Command, Option } from 'commander';
import {
  BundledFunctionInvoker,
  BundleNotFoundError,
  findBundledFunction,
} from '../../local/bundled-function.js';
import { QueueUnavailableError, SqsLambdaRunner } from '../../local/sqs-lambda-runner.js';
import { explainAwsError } from '../aws-errors.js';
import { CliError, n, Progress } from '../output.js';

interface LandCliOptions {
  readonly queueUrl?: string;
  readonly bucket?: string;
  readonly outputs?: string;
  readonly cdkOut: string;
  readonly function: string;
  readonly batchSize: string;
  readonly batchWindow: string;
  readonly retryDelay?: string;
  readonly untilDrained: boolean;
  readonly json: boolean;
}

/** Reads LandingQueueUrl and RawBucketName from a `cdk deploy --outputs-file` JSON. */
function fromOutputsFile(file: string): { queueUrl?: string; bucket?: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(
      `--outputs: cannot read ${file} (${(error as Error).message}); deploy first: npm run localstack:deploy`,
    );
  }
  for (const outputs of Object.values(parsed as Record<string, Record<string, unknown>>)) {
    if (typeof outputs?.LandingQueueUrl === 'string') {
      return {
        queueUrl: outputs.LandingQueueUrl,
        ...(typeof outputs.RawBucketName === 'string' ? { bucket: outputs.RawBucketName } : {}),
      };
    }
  }
  throw new CliError(`--outputs: ${file} has no stack with a LandingQueueUrl output`);
}

function integer(name: string, value: string, min: number, max: number): number {
  const v = Number(value);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new CliError(`${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return v;
}

/** `elt land`: plays Lambda's SQS event source mapping for the landing function, outside AWS. */
export function landCommand(): Command {
  return new Command('land')
    .description(
      "Land events from a deployed landing queue (LocalStack, or AWS) by running the landing function's bundle from cdk.out the way Lambda's SQS event source mapping does: receive batches, invoke, delete what succeeded, leave reported failures for redelivery and the DLQ. Runs until stopped (SIGINT/SIGTERM finish the batch in hand) or, with --until-drained, until the queue is empty.",
    )
    .option('--queue-url <url>', 'the landing queue (output LandingQueueUrl)')
    .option('--bucket <name>', 'the raw bucket the function writes to (output RawBucketName)')
    .option('--outputs <file>', 'take --queue-url and --bucket from a `cdk deploy --outputs-file` JSON')
    .option('--cdk-out <dir>', 'the cloud assembly holding the bundle', 'cdk.out')
    .option(
      '--function <path>',
      'the function, as <stack>/<construct path>',
      'elt-local-stateless/Landing/Function',
    )
    .option('--batch-size <n>', 'records per invocation, 1–10,000', '100')
    .option('--batch-window <seconds>', 'wait up to this long to fill a batch, 0–300', '1')
    .addOption(
      new Option(
        '--retry-delay <seconds>',
        "make failed messages visible again after this long instead of the queue's visibility timeout",
      ),
    )
    .option('--until-drained', 'stop once the queue holds no message (visible, in flight or delayed)', false)
    .option('--json', 'machine-readable output on stdout', false)
    .action(async (options: LandCliOptions) => {
      const fromFile = options.outputs ? fromOutputsFile(options.outputs) : {};
      const queueUrl = options.queueUrl ?? fromFile.queueUrl;
      const bucket = options.bucket ?? fromFile.bucket;
      if (!queueUrl) throw new CliError('--queue-url (or --outputs) is required');
      if (!bucket)
        throw new CliError('--bucket (or --outputs) is required: the raw bucket the function writes to');
      const batchSize = integer('--batch-size', options.batchSize, 1, 10_000);
      const batchWindow = integer('--batch-window', options.batchWindow, 0, 300);
      if (batchSize > 10 && batchWindow < 1)
        throw new CliError('--batch-window must be at least 1 when --batch-size is over 10 (as for Lambda)');
      const retryDelay =
        options.retryDelay === undefined
          ? undefined
          : integer('--retry-delay', options.retryDelay, 0, 43_200);
      const slash = options.function.indexOf('/');
      if (slash < 1)
        throw new CliError(`--function must be <stack>/<construct path>, got ${options.function}`);

      let fn;
      try {
        fn = findBundledFunction(
          options.cdkOut,
          options.function.slice(0, slash),
          options.function.slice(slash + 1),
        );
      } catch (error) {
        if (error instanceof BundleNotFoundError) throw new CliError(error.message);
        throw error;
      }
      const invoker = new BundledFunctionInvoker(fn, { environment: { RAW_BUCKET: bucket } });
      const progress = new Progress(!options.json);
      const runner = new SqsLambdaRunner({
        sqs: new SQSClient({}),
        queueUrl,
        invoke: (event, requestId) => invoker.invoke(event, requestId),
        batchSize,
        batchWindowMs: batchWindow * 1000,
        ...(retryDelay !== undefined ? { retryDelaySeconds: retryDelay } : {}),
        onBatch: () =>
          progress.update(
            `${n(runner.stats.invocations)} invocations: ${n(runner.stats.deleted)} messages landed, ${n(runner.stats.failedRecords)} failed (left for redelivery)`,
          ),
      });
      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const started = Date.now();
      try {
        await runner.run({ signal: stop.signal, untilDrained: options.untilDrained });
      } catch (error) {
        if (error instanceof QueueUnavailableError) throw new CliError(error.message);
        throw explainAwsError(error, 'sqs', `receiving from ${queueUrl}`);
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        progress.done();
        await invoker.close();
      }
      const result = {
        queueUrl,
        bucket,
        bundle: fn.entry,
        ...runner.stats,
        stoppedBy: stop.signal.aborted ? 'signal' : 'drained',
        seconds: Math.round((Date.now() - started) / 100) / 10,
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      const lines = [
        `${n(result.invocations)} invocations of ${fn.path}: ${n(result.deleted)} messages landed in s3://${bucket}/, ${n(result.failedRecords)} failed and were left for redelivery (then the DLQ)`,
      ];
      if (result.failedInvocations > 0)
        lines.push(
          `${n(result.failedInvocations)} invocations failed; last error: ${result.lastError ?? 'unknown'}`,
        );
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
