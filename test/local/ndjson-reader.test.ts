import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { readLineChunks, type LineChunk } from '../../lib/local/ndjson-reader.js';

/** A stream that yields exactly these chunks, as a file read in small pieces would. */
const chunksOf = (...parts: (string | Buffer)[]): Readable =>
  Readable.from(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : p)));

async function collect(stream: Readable): Promise<LineChunk[]> {
  const out: LineChunk[] = [];
  for await (const chunk of readLineChunks(stream)) out.push(chunk);
  return out;
}

async function lines(stream: Readable): Promise<string[]> {
  return (await collect(stream)).flatMap((c) => c.lines);
}

describe('readLineChunks', () => {
  it('yields the complete lines of each read as one chunk', async () => {
    expect(await collect(chunksOf('{"a":1}\n{"b":2}\n'))).toEqual([
      { lines: ['{"a":1}', '{"b":2}'], firstLine: 1 },
    ]);
  });

  it('joins a line split across reads', async () => {
    expect(await lines(chunksOf('{"a":', '1}\n{"b"', ':2}\n'))).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('numbers the first line of every chunk from 1, across reads', async () => {
    const chunks = await collect(chunksOf('a\nb\nc', '\nd\n', 'e\n'));
    expect(chunks.map((c) => [c.firstLine, c.lines])).toEqual([
      [1, ['a', 'b']],
      [3, ['c', 'd']],
      [5, ['e']],
    ]);
  });

  it('yields nothing for a read that completes no line', async () => {
    const chunks = await collect(chunksOf('abc', 'def', '\n'));
    expect(chunks).toEqual([{ lines: ['abcdef'], firstLine: 1 }]);
  });

  it('drops the carriage return of CRLF line ends', async () => {
    expect(await lines(chunksOf('a\r\nb\r\n'))).toEqual(['a', 'b']);
  });

  it('drops a carriage return whose line feed arrives in the next read', async () => {
    expect(await lines(chunksOf('a\r', '\nb\r\n'))).toEqual(['a', 'b']);
  });

  it('yields a last line that has no trailing newline', async () => {
    expect(await collect(chunksOf('a\nb', 'c'))).toEqual([
      { lines: ['a'], firstLine: 1 },
      { lines: ['bc'], firstLine: 2 },
    ]);
  });

  it('drops the carriage return of a last line without a newline', async () => {
    expect(await lines(chunksOf('a\r\nb\r'))).toEqual(['a', 'b']);
  });

  it('does not yield an empty line after a final newline', async () => {
    expect(await lines(chunksOf('a\n'))).toEqual(['a']);
  });

  it('keeps blank lines as empty strings so later line numbers stay right', async () => {
    const chunks = await collect(chunksOf('a\n\n\r\nb\n'));
    expect(chunks).toEqual([{ lines: ['a', '', '', 'b'], firstLine: 1 }]);
  });

  it('keeps a blank last line before the final newline', async () => {
    expect(await lines(chunksOf('a\n\n'))).toEqual(['a', '']);
  });

  it('decodes a multi-byte UTF-8 character split across reads', async () => {
    const bytes = Buffer.from('{"p":"€"}\n', 'utf8'); // € is E2 82 AC
    const cut = bytes.indexOf(0xe2) + 1;
    expect(await lines(chunksOf(bytes.subarray(0, cut), bytes.subarray(cut)))).toEqual(['{"p":"€"}']);
  });

  it('decodes a four-byte character split into single bytes', async () => {
    const bytes = Buffer.from('😀\n', 'utf8');
    expect(await lines(chunksOf(...[...bytes].map((b) => Buffer.from([b]))))).toEqual(['😀']);
  });

  it('reads a stream that yields strings', async () => {
    expect(await lines(Readable.from(['a\nb', '\n']))).toEqual(['a', 'b']);
  });

  it('yields nothing for an empty stream', async () => {
    expect(await collect(chunksOf())).toEqual([]);
  });
});
