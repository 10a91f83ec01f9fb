import { open } from 'node:fs/promises';

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

/** Makes a directory's entries (a file created or renamed in it) durable. */
export async function syncDirectory(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
