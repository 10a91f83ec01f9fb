import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

/** A chunk of lines read from NDJSON text, with the 1-based number of its first line. */
export interface LineChunk {
  readonly lines: string[];
  readonly firstLine: number;
}

/**
 * Reads newline-delimited text as chunks of lines (a trailing `\r` is dropped). One chunk per read
 * instead of one await per line: readline's per-line async iteration costs more than parsing the line.
 * Memory is bounded by the stream's chunk size plus the longest line.
 */
export async function* readLineChunks(stream: Readable): AsyncGenerator<LineChunk> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let lineNo = 1;
  const split = (text: string, final: boolean): LineChunk | undefined => {
    const parts = (rest + text).split('\n');
    rest = final ? '' : (parts.pop() ?? '');
    if (final && parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
    const lines = parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (lines.length === 0) return undefined;
    const chunk = { lines, firstLine: lineNo };
    lineNo += lines.length;
    return chunk;
  };
  for await (const data of stream) {
    const chunk = split(typeof data === 'string' ? data : decoder.write(data as Buffer), false);
    if (chunk) yield chunk;
  }
  const last = split(decoder.end(), true);
  if (last) yield last;
}
