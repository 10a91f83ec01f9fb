import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { ObjectStore } from '../ports.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** zlib's default: the usual size/speed balance for objects that are stored for months and read by COPY. */
export const DEFAULT_GZIP_LEVEL = 6;

/**
 * Gzips NDJSON lines (each already a single line of JSON) into one object body. zlib runs on libuv's
 * thread pool, so compression overlaps with parsing and validation on the main thread.
 */
export async function gzipNdjson(lines: readonly string[], level = DEFAULT_GZIP_LEVEL): Promise<Buffer> {
  return gzipAsync(Buffer.from(lines.join('\n') + '\n', 'utf8'), { level });
}

/** Writes NDJSON lines as one gzip object, labelled as such; returns its size in bytes. */
export async function putGzipNdjson(
  store: ObjectStore,
  key: string,
  lines: readonly string[],
  level = DEFAULT_GZIP_LEVEL,
): Promise<number> {
  const body = await gzipNdjson(lines, level);
  await store.put(key, body, { contentType: 'application/x-ndjson', contentEncoding: 'gzip' });
  return body.length;
}

/** Splits a gzip NDJSON object back into its lines (no parsing). */
export async function gunzipNdjson(body: Uint8Array): Promise<string[]> {
  const text = (await gunzipAsync(body)).toString('utf8');
  return text.split('\n').filter((line) => line.length > 0);
}
