import { readFileSync } from 'node:fs';
import { BundleNotFoundError, findBundledFunction, type BundledFunction } from '../local/bundled-function.js';
import { CliError } from './output.js';

/** The landing path's outputs of a deployed stateful stack. */
export interface LandingOutputs {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string;
  readonly bucket?: string;
  /** The deployed bus (output BusName). */
  readonly busName?: string;
  /** The Kafka landing's on-failure bucket (output KafkaFailureBucketName). */
  readonly kafkaFailureBucket?: string;
}

/** The stacks of a `cdk deploy --outputs-file` JSON and their outputs; `hint` says how to make one. */
function readOutputsFile(file: string, hint: string): [string, Record<string, unknown>][] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new CliError(`--outputs: cannot read ${file} (${(error as Error).message}); ${hint}`, {
      cause: error,
    });
  }
  if (typeof parsed !== 'object' || parsed === null) return [];
  return Object.entries(parsed as Record<string, Record<string, unknown>>);
}

/** Reads the landing outputs from a `cdk deploy --outputs-file` JSON (`--outputs` of land and redrive). */
export function landingOutputs(file: string): LandingOutputs {
  const stacks = readOutputsFile(file, 'deploy first: npm run localstack:deploy');
  for (const [, outputs] of stacks) {
    if (typeof outputs?.LandingQueueUrl === 'string') {
      return {
        queueUrl: outputs.LandingQueueUrl,
        ...(typeof outputs.LandingDeadLetterQueueUrl === 'string'
          ? { deadLetterQueueUrl: outputs.LandingDeadLetterQueueUrl }
          : {}),
        ...(typeof outputs.RawBucketName === 'string' ? { bucket: outputs.RawBucketName } : {}),
        ...(typeof outputs.BusName === 'string' ? { busName: outputs.BusName } : {}),
        ...(typeof outputs.KafkaFailureBucketName === 'string'
          ? { kafkaFailureBucket: outputs.KafkaFailureBucketName }
          : {}),
      };
    }
  }
  throw new CliError(`--outputs: ${file} has no stack with a LandingQueueUrl output`);
}

/**
 * The ELT state machine's ARN (output StateMachineArn of the stateless stack) from a
 * `cdk deploy --outputs-file` JSON (`--outputs` of `elt run`).
 */
export function stateMachineArnOutput(file: string): string {
  const stacks = readOutputsFile(file, `write it with: npx cdk deploy --all --outputs-file ${file}`);
  const found = stacks.filter(([, outputs]) => typeof outputs?.StateMachineArn === 'string');
  if (found.length === 1) return found[0]![1].StateMachineArn as string;
  if (found.length > 1)
    throw new CliError(
      `--outputs: ${file} has a StateMachineArn output in ${found.length} stacks (${found.map(([name]) => name).join(', ')}); pass the one to run with --state-machine <ARN>`,
    );
  const names = stacks.map(([name]) => name);
  throw new CliError(
    `--outputs: ${file} has no StateMachineArn output (${names.length > 0 ? `its stacks: ${names.join(', ')}` : 'it holds no stack'}); it is an output of the stateless stack: npx cdk deploy --all --outputs-file ${file}`,
  );
}

/**
 * The bundle of a synthesized function named `<stack>/<construct path>` (`--function` of land and
 * loadtest), with a CLI error when the option is malformed or cdk.out lacks it.
 */
export function bundledFunctionOption(cdkOut: string, spec: string): BundledFunction {
  const slash = spec.indexOf('/');
  if (slash < 1) throw new CliError(`--function must be <stack>/<construct path>, got ${spec}`);
  try {
    return findBundledFunction(cdkOut, spec.slice(0, slash), spec.slice(slash + 1));
  } catch (error) {
    if (error instanceof BundleNotFoundError) throw new CliError(error.message, { cause: error });
    throw error;
  }
}
