import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';

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

/** Splits a gzip NDJSON object back into its lines (no parsing). */
export async function gunzipNdjson(body: Uint8Array): Promise<string[]> {
  const text = (await gunzipAsync(body)).toString('utf8');
  return text.split('\n').filter((line) => line.length > 0);
}
