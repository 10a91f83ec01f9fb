import { randomBytes } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  gunzipNdjson,
  gzipNdjson,
  gzipReused,
  NdjsonGzipBuilder,
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

describe('gzipReused', () => {
  it('makes one valid gzip member per body from compressors reused across calls, more calls than compressors at once', async () => {
    // Bodies of every size in turn, an empty one and an incompressible one whose gzip spans several output
    // chunks: a body after a large one must not see any of it.
    const random = randomBytes(300_000);
    const bodies = Array.from({ length: 60 }, (_, i) =>
      i % 10 === 0
        ? random.subarray(0, 5000 * i)
        : Buffer.from(lines.slice(0, (i * 37) % lines.length).join('\n')),
    );
    const out = await Promise.all(bodies.map((b) => gzipReused(b, 6)));
    for (const [i, body] of out.entries()) {
      // One member each: the trailer's length is the body's own.
      expect(body.readUInt32LE(body.length - 4), `body ${i}`).toBe(bodies[i]!.length);
      expect(gunzipSync(body).equals(bodies[i]!), `body ${i}`).toBe(true);
    }
    expect(out[50]!.length).toBeGreaterThan(64 * 1024);
  });

  it('keeps each level apart', async () => {
    const text = Buffer.from(lines.join('\n'));
    const [fast, best] = await Promise.all([gzipReused(text, 1), gzipReused(text, 9)]);
    expect(gunzipSync(fast).equals(text) && gunzipSync(best).equals(text)).toBe(true);
    expect(best.length).toBeLessThan(fast.length);
    expect(fast.equals(gzipSync(text, { level: 1 }))).toBe(true);
  });
});
