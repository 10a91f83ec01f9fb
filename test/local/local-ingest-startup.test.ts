import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCli, waitFor } from '../support/cli.js';
import { useTempDirs } from '../support/temp-dir.js';

// `elt serve` starting over a data directory an earlier process left after a crash: a torn last line is
// tolerated (and said); anything it cannot read back stops it with a message and a non-zero exit, instead
// of hanging without listening.

const tempDir = useTempDirs();

/** A data directory as elt made it (its marker file), for the files of a crashed process to be put in. */
async function dataDirWith(files: Record<string, string>): Promise<string> {
  const dataDir = await tempDir();
  await writeFile(join(dataDir, '.elt-data-dir'), 'This directory holds data of the elt CLI.\n');
  for (const [path, text] of Object.entries(files)) {
    await mkdir(join(dataDir, path, '..'), { recursive: true });
    await writeFile(join(dataDir, path), text);
  }
  return dataDir;
}
const ENV = { ELT_INGEST_TOKEN: 'startup-token-0123456789abcdef' };
const key = (k: string): string =>
  `${JSON.stringify({ key: k, fingerprint: 'fp', expiresAt: Date.now() + 3_600_000, response: { status: 202, body: {} } })}\n`;

describe('elt serve at start', () => {
  it('starts over a keys file with a torn last line, and says it dropped it', async () => {
    const dataDir = await dataDirWith({ 'idempotency-keys.jsonl': `${key('k1')}{"key":"k2","finger` });
    const proc = startCli(['serve', '--port', '0', '--json', '--data-dir', dataDir], ENV);
    try {
      await waitFor('elt serve to listen', () => {
        if (proc.child.exitCode !== null) throw new Error(`exited: ${proc.stderr()}`);
        return proc.stdout().includes('"listening"');
      });
      expect(proc.stderr()).toMatch(/idempotency-keys\.jsonl: dropped a partial last line \(line 2\)/);
    } finally {
      proc.child.kill('SIGTERM');
      await proc.done;
    }
  }, 60_000);

  it('exits non-zero, naming the file and line, over a keys file with a bad line before the last', async () => {
    const dataDir = await dataDirWith({ 'idempotency-keys.jsonl': `${key('k1')}{not json\n${key('k3')}` });
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir], {
      env: ENV,
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toMatch(/cannot start: .*idempotency-keys\.jsonl:2: not an idempotency record/);
  }, 60_000);

  it('exits non-zero over an ingest log with a bad line before the last', async () => {
    const dataDir = await dataDirWith({ 'spool/log-000000000000.ndjson': '[{"a":1}]\n{oops\n[{"a":2}]\n' });
    const run = await runCli(['serve', '--port', '0', '--data-dir', dataDir], {
      env: ENV,
      timeoutMs: 30_000,
    });
    expect(run.code, run.stderr).not.toBe(0);
    expect(run.code).not.toBeNull();
    expect(run.stderr).toMatch(/cannot start: .*log-000000000000\.ndjson:2: not a JSON request/);
  }, 60_000);
});
