import { appendFile, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpoolFullError } from '../../lib/core/ingest/ingest-sink.js';
import { DirectorySpool, SpoolCorruptError } from '../../lib/local/ingest/spool.js';
import { useTempDirs } from '../support/temp-dir.js';

const tempDir = useTempDirs();
const req = (n: number): Record<string, unknown>[] => [{ n }];

describe('DirectorySpool', () => {
  it('hands requests out oldest first and survives a reopen', async () => {
    const dir = await tempDir();
    const spool = await DirectorySpool.open(dir);
    await spool.push(req(1));
    await spool.push(req(2));
    const reopened = await DirectorySpool.open(dir);
    expect(reopened.depth).toBe(2);
    const first = await reopened.oldest();
    expect(first?.values).toEqual(req(1));
    await reopened.remove(first!.name);
    expect((await reopened.oldest())?.values).toEqual(req(2));
  });

  it('refuses a request over its bound with SpoolFullError', async () => {
    const spool = await DirectorySpool.open(await tempDir(), { maxItems: 1 });
    await spool.push(req(1));
    await expect(spool.push(req(2))).rejects.toBeInstanceOf(SpoolFullError);
  });

  it('keeps a held request, and everything after it, from the drain until it is released', async () => {
    const spool = await DirectorySpool.open(await tempDir());
    const held = await spool.push(req(1), { held: true });
    await spool.push(req(2));
    expect(await spool.oldest()).toBeUndefined();
    spool.release(held);
    expect((await spool.oldest())?.values).toEqual(req(1));
  });

  it('recalls a held request that is no longer needed, so the next one comes out', async () => {
    const spool = await DirectorySpool.open(await tempDir());
    const held = await spool.push(req(1), { held: true });
    await spool.push(req(2));
    expect(await spool.recall(held)).toBe(true);
    expect(spool.depth).toBe(1);
    expect((await spool.oldest())?.values).toEqual(req(2));
  });

  it('does not recall a request the drain has already taken', async () => {
    const spool = await DirectorySpool.open(await tempDir());
    const name = await spool.push(req(1));
    expect((await spool.oldest())?.name).toBe(name);
    expect(await spool.recall(name)).toBe(false);
    expect(spool.depth).toBe(1);
  });

  it('keeps an appended request in the log until it is discarded, and a reopen queues it again', async () => {
    const dir = await tempDir();
    const spool = await DirectorySpool.open(dir);
    const name = await spool.append(req(1));
    expect(spool.depth).toBe(0);
    // As after a crash: the log is read back by another process.
    const reopened = await DirectorySpool.open(dir);
    expect(reopened.depth).toBe(1);
    expect((await reopened.oldest())?.values).toEqual(req(1));
    await spool.discard(name);
    await spool.close();
    expect(spool.unreleased).toBe(0);
  });

  it('writes concurrent appends together, every one durable when it resolves', async () => {
    const dir = await tempDir();
    const spool = await DirectorySpool.open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => spool.append(req(i))));
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    expect(files).toHaveLength(1);
    const lines = (await readFile(join(dir, files[0]!), 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { n: number }[])[0]!.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 200 }, (_, i) => i),
    );
    await spool.close();
  });

  it('deletes a log file once every request in it is discarded', async () => {
    const dir = await tempDir();
    const spool = await DirectorySpool.open(dir);
    const names = await Promise.all([spool.append(req(1)), spool.append(req(2))]);
    for (const name of names) await spool.discard(name);
    await spool.append(req(3));
    await spool.close();
    const files = (await readdir(dir)).filter((f) => f.endsWith('.ndjson'));
    expect(files).toHaveLength(1);
    const reopened = await DirectorySpool.open(dir);
    expect(reopened.depth).toBe(1);
    expect((await reopened.oldest())?.values).toEqual(req(3));
  });

  it('drops a torn last line (a crash mid-append) on reopen, and says so', async () => {
    const dir = await tempDir();
    const spool = await DirectorySpool.open(dir);
    await spool.append(req(1));
    await spool.close();
    const file = (await readdir(dir)).find((f) => f.endsWith('.ndjson'))!;
    await appendFile(join(dir, file), '[{"n":2,"tor');
    const warnings: string[] = [];
    const reopened = await DirectorySpool.open(dir, { warn: (m) => warnings.push(m) });
    expect(reopened.depth).toBe(1);
    expect((await reopened.oldest())?.values).toEqual(req(1));
    expect(warnings.join('\n')).toMatch(/dropped a partial last line \(line 2\)/);
  });

  it('refuses to open a log with a bad line before the last, naming the file and the line', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'log-000000000000.ndjson'), '[{"n":1}]\nnot json\n[{"n":3}]\n');
    const opening = DirectorySpool.open(dir);
    await expect(opening).rejects.toBeInstanceOf(SpoolCorruptError);
    await expect(opening).rejects.toThrow(/log-000000000000\.ndjson:2: not a JSON request/);
  });

  it('picks up the one-file-per-request spool of earlier versions', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, '000000000000-1700000000000.json'), JSON.stringify(req(7)));
    const spool = await DirectorySpool.open(dir);
    expect(spool.depth).toBe(1);
    const item = await spool.oldest();
    expect(item?.values).toEqual(req(7));
    await spool.remove(item!.name);
    await spool.discard(item!.name);
    expect(await readdir(dir)).not.toContain('000000000000-1700000000000.json');
  });
});
