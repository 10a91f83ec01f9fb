import { gunzipNdjson } from '../../lib/core/landing/ndjson-gzip.js';
import type { ObjectStore } from '../../lib/core/ports.js';

/** Every object under a prefix with its NDJSON lines. */
export async function readObjects(store: ObjectStore, prefix: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for await (const o of store.list(prefix)) out.set(o.key, await gunzipNdjson(await store.get(o.key)));
  return out;
}

/** Every line under a prefix, parsed. */
export async function readRecords<T = Record<string, unknown>>(
  store: ObjectStore,
  prefix: string,
): Promise<T[]> {
  const objects = await readObjects(store, prefix);
  return [...objects.values()].flat().map((l) => JSON.parse(l) as T);
}
