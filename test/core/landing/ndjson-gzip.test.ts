import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gunzipNdjson, gzipNdjson, NdjsonGzipBuilder } from '../../../lib/core/landing/ndjson-gzip.js';

const lines = Array.from({ length: 2000 }, (_, i) => JSON.stringify({ i, text: `line ${i} ✓`.repeat(3) }));

describe('NdjsonGzipBuilder', () => {
  it('streams lines into one gzip member with the same content as gzipNdjson', async () => {
    const builder = new NdjsonGzipBuilder(6, 4096);
    for (const [i, line] of lines.entries()) {
      builder.add(line);
      if (i % 100 === 99) builder.drain();
    }
    const body = await builder.finish();
    expect(builder.lines).toBe(lines.length);
    expect(await gunzipNdjson(body)).toEqual(lines);
    expect(gunzipSync(body).equals(gunzipSync(await gzipNdjson(lines)))).toBe(true);
    // One member: the gzip trailer's length is the whole text's.
    expect(body.readUInt32LE(body.length - 4)).toBe(Buffer.byteLength(`${lines.join('\n')}\n`));
  });

  it('gzips in one call when the lines never reach the flush size', async () => {
    const builder = new NdjsonGzipBuilder(1);
    builder.add('{"a":1}');
    builder.drain();
    builder.add('{"b":2}');
    expect(await gunzipNdjson(await builder.finish())).toEqual(['{"a":1}', '{"b":2}']);
  });

  it('can be closed before it finishes', () => {
    const builder = new NdjsonGzipBuilder(6, 10);
    builder.add('{"a":1}');
    builder.drain();
    expect(() => builder.close()).not.toThrow();
  });
});
