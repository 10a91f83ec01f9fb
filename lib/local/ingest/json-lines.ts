import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';

/**
 * Whether a file ends with a newline (an empty file does): a JSON-lines file that does not was cut off
 * mid-append, and its last line is torn.
 */
export async function endsWithNewline(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const { size } = await fh.stat();
    if (size === 0) return true;
    const last = Buffer.alloc(1);
    await fh.read(last, 0, 1, size - 1);
    return last[0] === 0x0a;
  } finally {
    await fh.close();
  }
}

/** A non-empty line of a JSON-lines file. */
export interface JsonLine {
  readonly text: string;
  /** Its number in the file, from 1 (empty lines counted). */
  readonly line: number;
  /** The file's last line, and the file does not end with a newline: an append cut off mid-write. */
  readonly torn: boolean;
}

/**
 * The non-empty lines of a JSON-lines file, read streaming (never the whole file at once), each saying
 * whether it is a torn last line; what to do with one is the caller's.
 */
export async function* jsonLines(path: string): AsyncGenerator<JsonLine> {
  const terminated = await endsWithNewline(path);
  let n = 0;
  let previous: { text: string; line: number } | undefined;
  for await (const text of createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity })) {
    n++;
    if (previous) yield { ...previous, torn: false };
    previous = text ? { text, line: n } : undefined;
  }
  if (previous) yield { ...previous, torn: !terminated && previous.line === n };
}
