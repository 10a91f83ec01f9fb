import { readFileSync } from 'node:fs';
import { CliError } from './output.js';

/** The landing path's outputs of a deployed stateful stack. */
export interface LandingOutputs {
  readonly queueUrl: string;
  readonly deadLetterQueueUrl?: string;
  readonly bucket?: string;
}

/** Reads the landing outputs from a `cdk deploy --outputs-file` JSON (`--outputs` of land and redrive). */
export function landingOutputs(file: string): LandingOutputs {
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
        ...(typeof outputs.LandingDeadLetterQueueUrl === 'string'
          ? { deadLetterQueueUrl: outputs.LandingDeadLetterQueueUrl }
          : {}),
        ...(typeof outputs.RawBucketName === 'string' ? { bucket: outputs.RawBucketName } : {}),
      };
    }
  }
  throw new CliError(`--outputs: ${file} has no stack with a LandingQueueUrl output`);
}
