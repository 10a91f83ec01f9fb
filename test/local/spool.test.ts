import { describe, expect, it } from 'vitest';
import { SpoolFullError } from '../../lib/core/ingest/ingest-sink.js';
import { DirectorySpool } from '../../lib/local/ingest/spool.js';
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
});
