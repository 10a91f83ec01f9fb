import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FunctionLogSink, isMetricLine } from '../../lib/cli/function-logs.js';

const emf = JSON.stringify({
  _aws: { Timestamp: 1, CloudWatchMetrics: [{ Namespace: 'ServerlessElt', Dimensions: [[]], Metrics: [] }] },
  EventsLanded: 3,
});
const log = JSON.stringify({ level: 'INFO', message: 'landed batch', objects: 1 });

async function run(verbose: boolean, emfOn: boolean, chunks: string[]) {
  const file = join(await mkdtemp(join(tmpdir(), 'elt-logs-')), 'logs', 'land.ndjson');
  const console = new PassThrough();
  let printed = '';
  console.on('data', (c: Buffer) => (printed += c.toString()));
  const sink = new FunctionLogSink({ verbose, emf: emfOn, file, console });
  for (const c of chunks) sink.write(c);
  await sink.close();
  return { sink, printed, kept: await readFile(file, 'utf8') };
}

describe('FunctionLogSink', () => {
  it('keeps every line in the file and prints none by default', async () => {
    const { sink, printed, kept } = await run(false, false, [`${log}\n${emf}\n`]);
    expect(printed).toBe('');
    expect(kept).toBe(`${log}\n${emf}\n`);
    expect(sink.counts).toEqual({ logLines: 1, metricLines: 1 });
  });

  it('prints log lines with --verbose and metric lines with --emf, each apart', async () => {
    expect((await run(true, false, [`${log}\n${emf}\n`])).printed).toBe(`${log}\n`);
    expect((await run(false, true, [`${log}\n${emf}\n`])).printed).toBe(`${emf}\n`);
  });

  it('joins a line split across chunks, and writes out an unterminated last line', async () => {
    const { kept, sink } = await run(false, false, [
      log.slice(0, 10),
      `${log.slice(10)}\n${emf.slice(0, 5)}`,
      emf.slice(5),
    ]);
    expect(kept).toBe(`${log}\n${emf}\n`);
    expect(sink.counts).toEqual({ logLines: 1, metricLines: 1 });
  });

  it('tells EMF lines from log lines that merely mention _aws', () => {
    expect(isMetricLine(emf)).toBe(true);
    expect(isMetricLine(JSON.stringify({ message: 'the "_aws" key', _aws: 'no' }))).toBe(false);
    expect(isMetricLine('{"_aws": not json')).toBe(false);
    expect(isMetricLine(log)).toBe(false);
  });
});
