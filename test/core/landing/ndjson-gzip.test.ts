import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  gunzipNdjson,
  gzipNdjson,
  NdjsonGzipBuilder,
  windowBitsFor,
} from '../../../lib/core/landing/ndjson-gzip.js';

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

  it('takes lines as UTF-8 bytes, mixed with text, streamed or in one call, with the same content', async () => {
    for (const flushChars of [4096, 1 << 30]) {
      const builder = new NdjsonGzipBuilder(6, flushChars);
      for (const [i, line] of lines.entries()) {
        if (i % 3 === 0) builder.add(line);
        else builder.addBytes(Buffer.from(line));
        if (i % 100 === 99) builder.drain();
      }
      const body = await builder.finish();
      expect(builder.lines).toBe(lines.length);
      expect(gunzipSync(body).equals(Buffer.from(`${lines.join('\n')}\n`))).toBe(true);
    }
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

describe('windowBitsFor', () => {
  it('is the smallest window whose reach (the window less 262 bytes) covers the body, from 9 to 15 bits', () => {
    expect(windowBitsFor(0)).toBe(9);
    expect(windowBitsFor(512 - 262)).toBe(9);
    expect(windowBitsFor(512 - 261)).toBe(10);
    expect(windowBitsFor(17_000)).toBe(15);
    expect(windowBitsFor(16_384 - 262)).toBe(14);
    expect(windowBitsFor(10_000_000)).toBe(15);
  });

  it('compresses a body that fits its window to exactly the bytes of the 32 KiB window', async () => {
    for (const count of [1, 20, 60, 200]) {
      const some = lines.slice(0, count);
      const builder = new NdjsonGzipBuilder(6);
      for (const line of some) builder.add(line);
      const body = await builder.finish();
      const text = Buffer.from(`${some.join('\n')}\n`);
      expect(windowBitsFor(text.length), `${count} lines`).toBeLessThan(15);
      expect(gunzipSync(body).equals(text), `${count} lines`).toBe(true);
      // Every match the large window finds is within reach of the fitted one: the deflate data is the same.
      expect(body.subarray(10).equals(gzipSync(text, { level: 6 }).subarray(10)), `${count} lines`).toBe(
        true,
      );
    }
  });
});
