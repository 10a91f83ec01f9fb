/**
 * The V8 heap a landing function runs with, as NODE_OPTIONS for a function of `memoryMb`.
 *
 * A landing invocation holds its whole event while it works: the Lambda runtime parses the payload (up to
 * 10,000 Kafka records or 1,000 SQS messages) before the handler starts, and the records' text, decoded
 * bytes and partition groups stay alive until the batch is written. With Node's default young generation
 * (16 MiB semi-spaces) every scavenge copies that live set again: landing 200,000 records in Kafka-shaped
 * events took 63 scavenges of 7–13 ms each, 475 ms of a 2.7 s run (measured 2026-12-04, 2 cores, Node 20).
 * Semi-spaces of a sixteenth of the function's memory (64 MiB at the default 1,024 MB) let a batch's
 * garbage die young instead.
 *
 * Both sizes are set: the Node.js runtime of Lambda sizes the heap from the function's memory itself, but
 * keeps a size given in NODE_OPTIONS and then uses V8's default for the one not given, which does not know
 * the function's memory limit. The old space gets what the young generation (three semi-spaces in V8) and
 * a tenth of the memory for buffers outside the heap (zlib, socket and file buffers) leave.
 */
export function landingNodeOptions(memoryMb: number): string {
  if (!Number.isInteger(memoryMb) || memoryMb < 128) {
    throw new RangeError(`landingNodeOptions: memoryMb must be an integer of at least 128, got ${memoryMb}`);
  }
  const semiSpaceMb = Math.min(MAX_SEMI_SPACE_MB, Math.max(1, Math.floor(memoryMb / 16)));
  const oldSpaceMb = memoryMb - 3 * semiSpaceMb - Math.ceil(memoryMb / 10);
  return `--max-semi-space-size=${semiSpaceMb} --max-old-space-size=${oldSpaceMb}`;
}

/** Beyond this, a larger young generation only delays scavenges that then copy more. */
const MAX_SEMI_SPACE_MB = 128;

/** The node arguments of {@link landingNodeOptions}, one per element, for spawning a process with them. */
export function landingNodeArgs(memoryMb: number): string[] {
  return landingNodeOptions(memoryMb).split(' ');
}
