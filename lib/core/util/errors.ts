/**
 * The base of the pipeline's own errors: the class name as `name`, and `cause` kept when one error wraps
 * another, so a log line or `--json` output shows the whole chain. Every typed error of the product extends it.
 */
export class EltError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }
}
