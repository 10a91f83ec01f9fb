import { execFile } from 'node:child_process';
import { appendFile, mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Breaker } from '../../lib/adapters/resilience/circuit-breaker.js';
import { FsObjectStore } from '../../lib/adapters/store/fs-object-store.js';
import type { PutEventsResult } from '../../lib/core/events/envelope.js';
import { MemoryIdempotencyStore, type IdempotencyRecord } from '../../lib/core/ingest/idempotency.js';
import type { Bus } from '../../lib/core/ports.js';
import { openLocalIngest } from '../../lib/local/ingest/local-ingest.js';
import { packageRoot } from '../../lib/package-paths.js';
import { useTempDirs } from '../support/temp-dir.js';

// The idempotency keys of `elt serve`, persisted to `idempotency-keys.jsonl` under the data directory:
// bounded per key, compacted, read back streaming, and never silently forgotten.

const tempDir = useTempDirs();
const exec = promisify(execFile);
const HOUR = 3_600_000;

const bus: Bus = {
  describe: () => 'none',
  putEvents: (entries): Promise<PutEventsResult> =>
    Promise.resolve({ FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `e${i}` })) }),
};

const record = (
  key: string,
  expiresAt: number,
  body: unknown = { status: 'published' },
): IdempotencyRecord => ({
  key,
  fingerprint: `fp-${key}`,
  expiresAt,
  response: { status: 202, body },
});
const line = (r: IdempotencyRecord): string => `${JSON.stringify(r)}\n`;

/** Opens the ingest over `root` as `elt serve` does; returns its key store's answers and closes it. */
async function openIngest(
  root: string,
  warn: string[] = [],
): Promise<{ replay: (key: string) => Promise<string> }> {
  const breaker = new Breaker('bus');
  const { publisher } = await openLocalIngest({
    root,
    bus,
    breaker,
    store: new FsObjectStore(join(root, 'store')),
    token: 'a-test-token-of-some-length',
    idempotencyTtlMs: HOUR,
    spoolMaxRequests: 10,
    log: (entry) => warn.push(String(entry.message)),
  });
  await publisher.close(0);
  breaker.shutdown();
  // The server's store is reached through a request; here, its persisted state is what counts.
  return {
    replay: async (key) => {
      const store = new MemoryIdempotencyStore({
        ttlMs: HOUR,
        restore: (await readFile(join(root, 'idempotency-keys.jsonl'), 'utf8'))
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as IdempotencyRecord),
      });
      return (await store.begin(key, `fp-${key}`, Date.now())).kind;
    },
  };
}

describe('idempotency-keys.jsonl', () => {
  it('starts with a torn last line (a crash mid-append): the line is dropped and said, the other keys kept', async () => {
    const root = await tempDir();
    const file = join(root, 'idempotency-keys.jsonl');
    await writeFile(file, line(record('k1', Date.now() + HOUR)) + '{"key":"k2","fingerp');
    const warnings: string[] = [];
    const ingest = await openIngest(root, warnings);
    expect(warnings.join('\n')).toMatch(/idempotency-keys\.jsonl: dropped a partial last line \(line 2\)/);
    expect(await ingest.replay('k1')).toBe('replay');
  });

  it('refuses to start on a bad line before the last, naming the file and the line', async () => {
    const root = await tempDir();
    const file = join(root, 'idempotency-keys.jsonl');
    await writeFile(
      file,
      line(record('k1', Date.now() + HOUR)) + 'garbage\n' + line(record('k3', Date.now() + HOUR)),
    );
    await expect(openIngest(root)).rejects.toThrow(/idempotency-keys\.jsonl:2: not an idempotency record/);
  });

  it('refuses to start when the file cannot be read, instead of forgetting every key', async () => {
    const root = await tempDir();
    await mkdir(join(root, 'idempotency-keys.jsonl'));
    await expect(openIngest(root)).rejects.toThrow(
      /cannot read the idempotency keys file .*idempotency-keys\.jsonl/,
    );
  });

  it('compacts expired keys away at start, atomically', async () => {
    const root = await tempDir();
    const file = join(root, 'idempotency-keys.jsonl');
    const expired = Array.from({ length: 500 }, (_, i) => line(record(`old-${i}`, Date.now() - 1000)));
    await writeFile(file, expired.join('') + line(record('live', Date.now() + HOUR)));
    const ingest = await openIngest(root);
    const kept = (await readFile(file, 'utf8')).trim().split('\n');
    expect(kept.map((l) => (JSON.parse(l) as IdempotencyRecord).key)).toEqual(['live']);
    expect(await ingest.replay('live')).toBe('replay');
  });

  it('keeps a bounded problem body under a key, whatever the client sent', async () => {
    const persisted: IdempotencyRecord[] = [];
    const store = new MemoryIdempotencyStore({
      ttlMs: HOUR,
      persist: (r) => Promise.resolve(void persisted.push(r)),
    });
    const now = Date.now();
    await store.begin('k', 'fp', now);
    const huge = 'x'.repeat(1024 * 1024);
    await store.complete(
      'k',
      'fp',
      {
        status: 422,
        body: {
          type: 'about:blank',
          title: 'Invalid entry',
          status: 422,
          detail: `time: ${huge}`,
          echo: [huge],
        },
      },
      now,
    );
    expect(JSON.stringify(persisted[0]!.response.body).length).toBeLessThanOrEqual(2048);
    const replay = await store.begin('k', 'fp', now);
    expect(replay.kind).toBe('replay');
    const kept = replay.kind === 'replay' ? (replay.response.body as Record<string, unknown>) : {};
    expect(kept).toMatchObject({ title: 'Invalid entry', status: 422, truncated: true });
    expect(JSON.stringify(kept).length).toBeLessThanOrEqual(2048);
  });

  it('reads a large file streaming: 160 MB of keys under a 64 MB heap', async () => {
    const root = await tempDir();
    const file = join(root, 'idempotency-keys.jsonl');
    // Expired keys with 16 KB bodies, as an older version kept them: written in 1 MB chunks.
    const body = { type: 'about:blank', title: 'Invalid entry', status: 422, detail: 'y'.repeat(16 * 1024) };
    const chunk = Array.from({ length: 64 }, (_, i) =>
      line({ ...record(`old-${i}`, 1), response: { status: 422, body } }),
    ).join('');
    const fh = await open(file, 'w');
    for (let i = 0; i < 160; i++) await fh.write(chunk);
    await fh.close();
    await appendFile(file, line(record('live', Date.now() + HOUR)));
    expect((await stat(file)).size).toBeGreaterThan(160 * 1024 * 1024);
    const script = join(root, 'open.mts');
    const lib = (p: string): string => JSON.stringify(join(packageRoot(), 'lib', p));
    await writeFile(
      script,
      `import { Breaker } from ${lib('adapters/resilience/circuit-breaker.ts')};
import { FsObjectStore } from ${lib('adapters/store/fs-object-store.ts')};
import { openLocalIngest } from ${lib('local/ingest/local-ingest.ts')};
const root = ${JSON.stringify(root)};
const breaker = new Breaker('bus');
const bus = { describe: () => 'none', putEvents: async () => ({ FailedEntryCount: 0, Entries: [] }) };
const { publisher } = await openLocalIngest({ root, bus, breaker, store: new FsObjectStore(root + '/store'),
  token: 'a-test-token-of-some-length', idempotencyTtlMs: 3600000, spoolMaxRequests: 10 });
await publisher.close(0);
breaker.shutdown();
console.log('opened');
`,
    );
    const { stdout } = await exec(
      process.execPath,
      ['--max-old-space-size=64', '--import', import.meta.resolve('tsx'), script],
      { cwd: packageRoot(), timeout: 120_000 },
    );
    expect(stdout).toContain('opened');
    // Compacted to the one live key.
    expect((await stat(file)).size).toBeLessThan(1024);
  }, 120_000);
});
